"""The item table (alsfrs_items.py) matches docs/domain.md, 'ALSFRS-R', restated here by hand."""

from __future__ import annotations

from alstrial.domain.alsfrs_items import (
    ALL_SCALES_ITEM_KEYS,
    CUTTING_KEYS,
    ITEM_BY_KEY,
    ITEM_KEYS,
    ITEMS,
    ORIGINAL_RESPIRATORY,
    SCORED_ORDER_WITH_GASTROSTOMY,
    SCORED_ORDER_WITHOUT_GASTROSTOMY,
)

# docs/domain.md, 'ALSFRS-R': number, key, domain.
DOMAIN_TABLE = [
    ("1", "speech", "bulbar"),
    ("2", "salivation", "bulbar"),
    ("3", "swallowing", "bulbar"),
    ("4", "handwriting", "fine_motor"),
    ("5a", "cutting_without_gastrostomy", "fine_motor"),
    ("5b", "cutting_with_gastrostomy", "fine_motor"),
    ("6", "dressing_hygiene", "fine_motor"),
    ("7", "turning_in_bed", "gross_motor"),
    ("8", "walking", "gross_motor"),
    ("9", "climbing_stairs", "gross_motor"),
    ("10", "dyspnea", "respiratory"),
    ("11", "orthopnea", "respiratory"),
    ("12", "respiratory_insufficiency", "respiratory"),
]


def test_items_match_domain_md():
    assert [(i.number, i.key, i.domain.value) for i in ITEMS] == DOMAIN_TABLE
    assert tuple(key for _, key, _ in DOMAIN_TABLE) == ITEM_KEYS
    assert set(ITEM_BY_KEY) == set(ITEM_KEYS)


def test_each_item_has_five_anchors_from_0_to_4():
    for item in (*ITEMS, ORIGINAL_RESPIRATORY):
        assert len(item.anchors) == 5
        assert all(a.strip() for a in item.anchors)
        assert item.anchors[4].lower().startswith(("normal", "none"))


def test_scored_orders_have_twelve_items_with_one_cutting_item():
    for order, cutting in (
        (SCORED_ORDER_WITHOUT_GASTROSTOMY, "cutting_without_gastrostomy"),
        (SCORED_ORDER_WITH_GASTROSTOMY, "cutting_with_gastrostomy"),
    ):
        assert len(order) == 12
        assert order[4] == cutting
        assert [k for k in order if k in CUTTING_KEYS] == [cutting]


def test_each_domain_has_three_items_per_visit():
    for order in (SCORED_ORDER_WITHOUT_GASTROSTOMY, SCORED_ORDER_WITH_GASTROSTOMY):
        domains = [ITEM_BY_KEY[k].domain.value for k in order]
        for domain in ("bulbar", "fine_motor", "gross_motor", "respiratory"):
            assert domains.count(domain) == 3


def test_original_alsfrs_has_a_single_respiratory_item():
    assert ORIGINAL_RESPIRATORY.key == "respiratory"
    assert ORIGINAL_RESPIRATORY.key not in ITEM_KEYS
    assert ORIGINAL_RESPIRATORY.domain.value == "respiratory"


def test_registry_rows_carry_the_revised_items_and_the_original_respiratory_item():
    assert ALL_SCALES_ITEM_KEYS[:-1] == ITEM_KEYS
    assert ALL_SCALES_ITEM_KEYS[-1] == "respiratory"

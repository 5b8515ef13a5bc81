"""King's and MiToS staging (docs/domain.md, 'Staging'), against oracles written from
docs/domain.md, 'Staging'."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alstrial.domain.alsfrs import AlsfrsR
from alstrial.domain.staging import (
    NO_REGION_BY_ALSFRS,
    KingsStage,
    involved_regions,
    kings_stage,
    mitos_domains_lost,
    mitos_stage,
)

ORDER = (
    "speech",
    "salivation",
    "swallowing",
    "handwriting",
    "cutting",
    "dressing_hygiene",
    "turning_in_bed",
    "walking",
    "climbing_stairs",
    "dyspnea",
    "orthopnea",
    "respiratory_insufficiency",
)


def visit(gastrostomy: bool = False, **scores: int) -> AlsfrsR:
    """A visit with every item 4 except those given (``cutting`` is item 5a or 5b)."""
    values = {key: 4 for key in ORDER}
    values.update(scores)
    return AlsfrsR.from_sequence([values[k] for k in ORDER], gastrostomy=gastrostomy)


def kings_oracle(s: dict[str, int], gastrostomy: bool) -> tuple[str, bool]:
    """docs/domain.md, 'Staging', King's, step by step: (stage, no-region flag)."""
    if s["dyspnea"] == 0 or s["respiratory_insufficiency"] < 4:
        return "4B", False
    if gastrostomy:
        return "4A", False
    bulbar = s["speech"] < 4 or s["salivation"] < 4 or s["swallowing"] < 4
    upper = s["handwriting"] < 4 or s["cutting"] < 4
    lower = s["walking"] < 4
    n = int(bulbar) + int(upper) + int(lower)
    return ("1", True) if n == 0 else (str(n), False)


def mitos_oracle(s: dict[str, int]) -> int:
    """docs/domain.md, 'Staging', MiToS (Chio 2015, Table 1): number of domains lost."""
    movement = s["walking"] <= 1 or s["dressing_hygiene"] <= 1
    swallowing = s["swallowing"] <= 1
    communicating = s["speech"] <= 1 and s["handwriting"] <= 1
    breathing = s["dyspnea"] <= 1 or s["respiratory_insufficiency"] <= 2
    return sum((movement, swallowing, communicating, breathing))


scores12 = st.lists(st.integers(0, 4), min_size=12, max_size=12)
# Scores near the thresholds are the interesting ones; mix uniform and threshold-heavy draws.
skewed = st.lists(st.sampled_from([0, 1, 2, 3, 4, 4, 4, 4]), min_size=12, max_size=12)


@given(st.one_of(scores12, skewed), st.booleans())
def test_kings_matches_the_oracle(scores, gastrostomy):
    s = dict(zip(ORDER, scores, strict=True))
    stage = kings_stage(AlsfrsR.from_sequence(scores, gastrostomy=gastrostomy))
    expected, flagged = kings_oracle(s, gastrostomy)
    assert stage.stage == expected
    assert (NO_REGION_BY_ALSFRS in stage.flags) is flagged


@given(st.one_of(scores12, skewed), st.booleans())
def test_mitos_matches_the_oracle(scores, gastrostomy):
    s = dict(zip(ORDER, scores, strict=True))
    score = AlsfrsR.from_sequence(scores, gastrostomy=gastrostomy)
    assert mitos_stage(score) == mitos_oracle(s)
    assert 0 <= mitos_stage(score) <= 4
    assert len(mitos_domains_lost(score)) == mitos_stage(score)


@given(st.one_of(scores12, skewed), st.booleans(), st.integers(0, 4), st.integers(0, 4))
def test_kings_ignores_items_7_and_9(scores, gastrostomy, turning, stairs):
    changed = list(scores)
    changed[6], changed[8] = turning, stairs
    a = kings_stage(AlsfrsR.from_sequence(scores, gastrostomy=gastrostomy))
    b = kings_stage(AlsfrsR.from_sequence(changed, gastrostomy=gastrostomy))
    assert a == b


@given(st.one_of(scores12, skewed), st.booleans())
def test_death_is_stage_5_in_both(scores, gastrostomy):
    score = AlsfrsR.from_sequence(scores, gastrostomy=gastrostomy)
    assert kings_stage(score, died=True).stage == "5"
    assert mitos_stage(score, died=True) == 5


def test_all_four_visit():
    score = visit()
    kings = kings_stage(score)
    assert kings.stage == "1"
    assert kings.flags == (NO_REGION_BY_ALSFRS,)
    assert kings.regions == ()
    assert mitos_stage(score) == 0
    assert mitos_domains_lost(score) == ()


def test_gastrostomy_with_4_everywhere_is_4a():
    kings = kings_stage(visit(gastrostomy=True))
    assert kings.stage == "4A"
    assert kings.flags == ()


@pytest.mark.parametrize("gastrostomy", [False, True])
def test_dyspnea_0_is_4b(gastrostomy):
    assert kings_stage(visit(gastrostomy, dyspnea=0)).stage == "4B"


@pytest.mark.parametrize("value", [0, 1, 2, 3])
@pytest.mark.parametrize("gastrostomy", [False, True])
def test_respiratory_insufficiency_below_4_is_4b(value, gastrostomy):
    assert kings_stage(visit(gastrostomy, respiratory_insufficiency=value)).stage == "4B"


@pytest.mark.parametrize("value", [1, 2, 3])
def test_dyspnea_above_0_alone_is_not_4b(value):
    kings = kings_stage(visit(dyspnea=value))
    assert kings.stage == "1"
    assert kings.flags == (NO_REGION_BY_ALSFRS,)


def test_orthopnea_is_not_used_by_kings():
    assert kings_stage(visit(orthopnea=0)).stage == "1"


@pytest.mark.parametrize(
    ("scores", "regions"),
    [
        ({"speech": 3}, ("bulbar",)),
        ({"salivation": 0}, ("bulbar",)),
        ({"swallowing": 2}, ("bulbar",)),
        ({"handwriting": 3}, ("upper_limb",)),
        ({"cutting": 3}, ("upper_limb",)),
        ({"walking": 3}, ("lower_limb",)),
        ({"speech": 3, "walking": 1}, ("bulbar", "lower_limb")),
        ({"speech": 2, "handwriting": 2, "walking": 2}, ("bulbar", "upper_limb", "lower_limb")),
        ({"turning_in_bed": 0, "climbing_stairs": 0, "dressing_hygiene": 0}, ()),
    ],
)
def test_regions(scores, regions):
    score = visit(**scores)
    assert involved_regions(score) == regions
    kings = kings_stage(score)
    assert kings.regions == regions
    assert kings.stage == (str(len(regions)) if regions else "1")


def test_dressing_is_not_a_kings_region_item():
    # Item 6 is fine motor, but King's upper limb uses items 4 and 5a only (docs/domain.md,
    # 'Staging').
    assert involved_regions(visit(dressing_hygiene=0)) == ()


@pytest.mark.parametrize(
    ("speech", "handwriting", "lost"),
    [(1, 2, False), (0, 4, False), (2, 0, False), (1, 1, True), (0, 0, True), (1, 0, True)],
)
def test_mitos_communicating_needs_both(speech, handwriting, lost):
    domains = mitos_domains_lost(visit(speech=speech, handwriting=handwriting))
    assert ("communicating" in domains) is lost


@pytest.mark.parametrize(
    ("scores", "domains"),
    [
        ({"walking": 1}, ("movement",)),
        ({"walking": 2}, ()),
        ({"dressing_hygiene": 1}, ("movement",)),
        ({"dressing_hygiene": 2}, ()),
        ({"swallowing": 1}, ("swallowing",)),
        ({"swallowing": 2}, ()),
        ({"dyspnea": 1}, ("breathing",)),
        ({"dyspnea": 2}, ()),
        ({"respiratory_insufficiency": 2}, ("breathing",)),
        ({"respiratory_insufficiency": 3}, ()),
        ({"turning_in_bed": 0, "climbing_stairs": 0, "orthopnea": 0, "salivation": 0}, ()),
        (
            {"walking": 0, "swallowing": 0, "speech": 0, "handwriting": 0, "dyspnea": 0},
            ("movement", "swallowing", "communicating", "breathing"),
        ),
    ],
)
def test_mitos_domain_thresholds(scores, domains):
    score = visit(**scores)
    assert mitos_domains_lost(score) == domains
    assert mitos_stage(score) == len(domains)


def test_kings_stage_numeric_and_text():
    assert KingsStage("4A").numeric == 4.0
    assert KingsStage("4B").numeric == 4.5
    assert KingsStage("2").numeric == 2.0
    assert KingsStage("5").numeric == 5.0
    assert str(KingsStage("3")) == "3"

"""Release criteria (ISCT, Dominici 2006; docs/domain.md, 'Cell product'), checked criterion by
criterion."""

import pytest

from alstrial.domain.errors import ValidationError
from alstrial.domain.product_release import (
    ISCT_MARKERS,
    MarkerLimit,
    Outcome,
    ReleaseCriteria,
    evaluate_release,
    validate_qc_results,
)
from alstrial.domain.protocol import bundled_protocol

GOOD = {
    "viability_pct": "92",
    "viable_cells": "7.0e7",
    "cd105": "98.5",
    "cd73": "99",
    "cd90": "97.2",
    "cd45": "0.8",
    "cd34": "0.4",
    "cd14": "1.1",
    "cd79a": "0.3",
    "hla_dr": "1.9",
    "sterility": "negative",
    "mycoplasma": "Negative",
    "endotoxin_eu_per_ml": "0.5",
    "appearance_ok": "yes",
}


DEFAULT = ReleaseCriteria()


def evaluate(overrides=None, criteria=DEFAULT, weight_kg=70.0):
    data = {**GOOD, **(overrides or {})}
    data = {k: v for k, v in data.items() if v is not None}
    results = validate_qc_results(data)
    return evaluate_release(criteria, results, dose_volume_ml=2.0, weight_kg=weight_kg)


def outcome(evaluation, key):
    return {c.key: c.outcome for c in evaluation.criteria}[key]


def test_a_good_lot_passes_every_criterion():
    evaluation = evaluate()
    assert evaluation.releasable
    keys = [c.key for c in evaluation.criteria]
    assert keys == [
        "viability", "viable_cells", "cd105", "cd73", "cd90", "cd45", "cd34",
        "cd14_or_cd11b", "cd79a_or_cd19", "hla_dr", "sterility", "mycoplasma",
        "endotoxin", "appearance",
    ]  # fmt: skip
    assert evaluation.to_dict()["releasable"] is True


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"viability_pct": "69.9"}, "viability"),
        ({"cd105": "94.9"}, "cd105"),
        ({"cd90": "80"}, "cd90"),
        ({"cd45": "2.1"}, "cd45"),
        ({"hla_dr": "5"}, "hla_dr"),
        ({"cd14": None, "cd11b": "3"}, "cd14_or_cd11b"),
        ({"cd19": "2.5"}, "cd79a_or_cd19"),  # both measured: each must pass
        ({"sterility": "positive"}, "sterility"),
        ({"mycoplasma": "positive"}, "mycoplasma"),
        ({"appearance_ok": "no"}, "appearance"),
        # 0.9-1.1 x10^6 cells/kg for 70 kg = 6.3e7 to 7.7e7 cells
        ({"viable_cells": "6.29e7"}, "viable_cells"),
        ({"viable_cells": "7.71e7"}, "viable_cells"),
    ],
)
def test_each_failure_blocks_release(overrides, key):
    evaluation = evaluate(overrides)
    assert outcome(evaluation, key) is Outcome.FAIL
    assert not evaluation.releasable
    assert [c.key for c in evaluation.failed] == [key]


def test_thresholds_are_inclusive_where_isct_says_so():
    # >= 95% and <= 2% (Dominici 2006); viability >= the protocol minimum.
    evaluation = evaluate(
        {"cd105": "95", "cd34": "2", "viability_pct": "70", "viable_cells": "7.7e7"}
    )
    assert evaluation.releasable


def test_either_alternative_marker_may_be_measured():
    evaluation = evaluate({"cd14": None, "cd11b": "0.5", "cd79a": None, "cd19": "1"})
    assert outcome(evaluation, "cd14_or_cd11b") is Outcome.PASS
    assert outcome(evaluation, "cd79a_or_cd19") is Outcome.PASS


def test_endotoxin_is_per_kg_of_the_recipient():
    # 0.5 EU/ml x 2 ml / 70 kg = 0.01428... EU/kg
    ok = {c.key: c for c in evaluate().criteria}["endotoxin"]
    assert ok.outcome is Outcome.PASS
    assert "0.0143 EU/kg" in ok.observed
    # 7 EU/ml x 2 ml / 70 kg = 0.2 EU/kg exactly: the limit is strict (< 0.2)
    assert outcome(evaluate({"endotoxin_eu_per_ml": "7"}), "endotoxin") is Outcome.FAIL
    # the same lot passes for a heavier patient: 14 / 71 = 0.197 EU/kg
    assert (
        outcome(evaluate({"endotoxin_eu_per_ml": "7"}, weight_kg=71), "endotoxin") is Outcome.PASS
    )


def test_missing_results_and_inputs_are_pending_never_pass():
    evaluation = evaluate({"mycoplasma": None, "cd73": None}, weight_kg=None)
    pending = {c.key for c in evaluation.pending}
    assert pending == {"mycoplasma", "cd73", "viable_cells", "endotoxin"}
    assert not evaluation.releasable


def test_optional_karyotype_and_trilineage():
    criteria = ReleaseCriteria(karyotype_required=True, trilineage_required=True)
    evaluation = evaluate(criteria=criteria)
    assert {c.key for c in evaluation.pending} == {"karyotype", "trilineage"}
    evaluation = evaluate({"karyotype": "abnormal", "trilineage_ok": "yes"}, criteria=criteria)
    assert [c.key for c in evaluation.failed] == ["karyotype"]
    assert evaluate({"karyotype": "normal", "trilineage_ok": "yes"}, criteria=criteria).releasable


def test_fixed_viable_count_range_needs_no_weight():
    criteria = ReleaseCriteria(
        viable_count_min=5e7, viable_count_max=6e7, viable_count_per_kg=False
    )
    evaluation = evaluate({"viable_cells": "5.5e7"}, criteria=criteria, weight_kg=None)
    assert outcome(evaluation, "viable_cells") is Outcome.PASS
    assert outcome(evaluation, "endotoxin") is Outcome.PENDING  # EU/kg still needs the weight


def test_criteria_from_the_kim2009_protocol():
    criteria = ReleaseCriteria.from_protocol(bundled_protocol("kim2009"))
    assert criteria.viability_min_pct == 80.0  # kim2009.toml
    assert (criteria.viable_count_min, criteria.viable_count_max) == (0.9e6, 1.1e6)
    assert criteria.viable_count_per_kg
    assert {m.key for m in criteria.markers} == {m.key for m in ISCT_MARKERS}
    assert (
        outcome(evaluate({"viability_pct": "79"}, criteria=criteria), "viability") is Outcome.FAIL
    )
    assert evaluate(criteria=criteria).releasable


def test_a_protocol_may_be_stricter_than_isct():
    stricter = (MarkerLimit(("cd90",), "min", 98.0), *ISCT_MARKERS[3:])
    criteria = ReleaseCriteria(markers=stricter)
    assert outcome(evaluate({"cd90": "97.5"}, criteria=criteria), "cd90") is Outcome.FAIL


def test_bad_criteria_name_each_field():
    with pytest.raises(ValidationError) as info:
        ReleaseCriteria(viability_min_pct=150, viable_count_min=2, viable_count_max=1)
    assert set(info.value.by_field()) == {
        "release.viability_min_percent",
        "release.viable_count_min",
    }


def test_bad_results_name_each_field():
    with pytest.raises(ValidationError) as info:
        validate_qc_results(
            {"viability_pct": "120", "cd90": "lots", "sterility": "maybe", "appearance_ok": "?"}
        )
    assert set(info.value.by_field()) == {"viability_pct", "cd90", "sterility", "appearance_ok"}

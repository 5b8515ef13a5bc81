"""The shipped randomised protocol, and every rule of the [randomisation] section."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from alstrial.domain.protocol import ProtocolError, load_protocol, protocol_from_dict

MSC_RCT = Path(__file__).resolve().parents[2] / "protocols" / "msc_rct.toml"
KIM = MSC_RCT.with_name("kim2009.toml")
BASE = tomllib.loads(MSC_RCT.read_text())


def _errors(data: dict) -> dict[str, str]:
    with pytest.raises(ProtocolError) as caught:
        protocol_from_dict(data, "msc_rct.toml")
    return {e.field: e.message for e in caught.value.errors}


def _edited(**section) -> dict:
    data = copy.deepcopy(BASE)
    for key, value in section.items():
        if value is None:
            data["randomisation"].pop(key)
        else:
            data["randomisation"][key] = value
    return data


def test_shipped_msc_rct_is_a_stratified_one_to_one_sham_controlled_design():
    protocol = load_protocol(MSC_RCT)
    scheme = protocol.randomisation
    assert protocol.slug == "msc_rct"
    assert protocol.analysis.control == "randomised"
    assert scheme.method == "permuted_blocks"
    assert scheme.ratio_text == "1:1"
    assert scheme.stratify_by == ("onset_site", "lead_in_decline")
    assert [(a.preparation, a.procedure) for a in scheme.arms] == [
        ("active", "real"),
        ("placebo", "sham"),
    ]
    # Both arms are aspirated before each of the three doses (months 0, 1 and 4).
    admin = protocol.interventions.administrations
    assert [protocol.visit(code).day for code in admin.visits] == [0, 30, 123]
    assert admin.gaps() == (30, 93)
    assert len(protocol.interventions.harvest.visits) == 3
    assert protocol.eligibility.lead_in_decline_min_points_per_month == 0.3
    assert len(scheme.strata()) == 4


def test_uncontrolled_protocols_have_no_scheme():
    assert load_protocol(KIM).randomisation is None


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        ({"block_sizes": [2, 3]}, "randomisation.block_sizes[1]", "not a multiple"),
        ({"block_sizes": [2, 2]}, "randomisation.block_sizes[1]", "listed twice"),
        ({"block_sizes": None}, "randomisation.block_sizes", "required"),
        ({"method": "coin"}, "randomisation.method", "unknown value"),
        ({"stratify_by": ["eye_colour"]}, "randomisation.stratify_by[0]", "unknown value"),
        ({"minimisation_probability": 0.8}, "randomisation.minimisation_probability", "only"),
        (
            {"fast_decline_points_per_month": None},
            "randomisation.fast_decline_points_per_month",
            "required when stratifying",
        ),
        (
            {"stratify_by": ["onset_site"]},
            "randomisation.fast_decline_points_per_month",
            "only when stratifying",
        ),
        ({"arms": [BASE["randomisation"]["arms"][0]]}, "randomisation.arms", "two arms"),
    ],
)
def test_section_errors_name_the_key(edit, key, fragment):
    errors = _errors(_edited(**edit))
    assert key in errors, errors
    assert fragment in errors[key]


def test_arm_errors_name_the_arm():
    data = copy.deepcopy(BASE)
    data["randomisation"]["arms"][1].update(ratio=0, preparation="saline")
    data["randomisation"]["arms"][0]["code"] = "SHAM"
    errors = _errors(data)
    assert "randomisation.arms[1].ratio" in errors
    assert "randomisation.arms[1].preparation" in errors


def test_minimisation_needs_factors_and_a_random_element_in_range():
    data = _edited(
        method="minimisation", block_sizes=None, stratify_by=[], fast_decline_points_per_month=None
    )
    assert "minimisation needs at least one factor" in _errors(data)["randomisation.stratify_by"]
    data = _edited(method="minimisation", block_sizes=None, minimisation_probability=1.0)
    assert "at most 0.95" in _errors(data)["randomisation.minimisation_probability"]
    data = _edited(method="minimisation", block_sizes=None, minimisation_probability=0.7)
    assert protocol_from_dict(data).randomisation.minimisation_probability == 0.7


def test_randomised_control_and_the_section_come_together():
    data = copy.deepcopy(BASE)
    del data["randomisation"]
    assert "required when analysis.control" in _errors(data)["randomisation"]
    kim = tomllib.loads(KIM.read_text())
    kim["randomisation"] = copy.deepcopy(BASE["randomisation"])
    assert "applies only when analysis.control" in _errors(kim)["randomisation"]


def test_a_sham_procedure_needs_a_route_with_a_procedure():
    data = copy.deepcopy(BASE)
    data["interventions"]["route"] = {"name": "intravenous"}
    data["release"]["endotoxin_max_eu_per_kg"] = 0.2
    errors = _errors(data)
    assert "sham procedure needs a route" in errors["randomisation.arms[1].procedure"]


def test_uneven_dose_gaps_are_checked_one_by_one():
    data = copy.deepcopy(BASE)
    data["interventions"]["administrations"]["interval_days"] = [30, 90]
    errors = _errors(data)
    assert "interval_days gives 90" in errors["interventions.administrations.visits[2]"]
    data["interventions"]["administrations"]["interval_days"] = [30]
    errors = _errors(data)
    assert "lists 1 gap(s)" in errors["interventions.administrations.interval_days"]

"""The protocol's analysis plan: ``estimand``, ``primary`` and ``secondaries`` of ``[analysis]``
are read, checked against the closed vocabulary and the trial's control type, and shipped
protocols name their primary (docs/protocols.md)."""

from __future__ import annotations

import pytest
from protocol_edits import assert_case, delete, kim_copy, put

from alstrial.domain.analysis_plan import ANALYSES, AnalysisPlan
from alstrial.domain.protocol import load_protocol, protocol_from_dict


def test_shipped_protocols_name_their_primary():
    kim = load_protocol("protocols/kim2009.toml").analysis.plan
    rct = load_protocol("protocols/msc_rct.toml").analysis.plan
    assert kim.primary == "change_vs_control"
    assert rct.primary == "mmrm_difference"
    assert rct.secondaries[0] == "ancova_change"
    assert load_protocol("protocols/mazzini2003.toml").analysis.plan is None


def test_roles_label_every_analysis():
    plan = AnalysisPlan("e", "change_vs_control", ("slope_vs_control",))
    assert [plan.role(n) for n in ("change_vs_control", "slope_vs_control", "ancova_change")] == [
        "primary",
        "secondary",
        "exploratory",
    ]


def test_plan_survives_the_dict_round_trip():
    data = kim_copy()
    assert protocol_from_dict(data).analysis.plan.to_dict() == {
        "estimand": data["analysis"]["estimand"],
        "primary": "change_vs_control",
        "secondaries": list(data["analysis"]["secondaries"]),
    }


@pytest.mark.parametrize(
    ("mutate", "key", "reason"),
    [
        (delete(("analysis", "primary")), "analysis.primary", "required"),
        (delete(("analysis", "estimand")), "analysis.estimand", "required"),
        (put(("analysis", "primary"), "best_p_value"), "analysis.primary", "unknown value"),
        (
            put(("analysis", "primary"), "mmrm_difference"),
            "analysis.primary",
            "needs control = randomised",
        ),
        (
            put(("analysis", "secondaries"), ["slope_vs_control", "change_vs_control"]),
            "analysis.secondaries[1]",
            "is the primary analysis",
        ),
        (
            put(("analysis", "secondaries"), ["slope_vs_control", "slope_vs_control"]),
            "analysis.secondaries[1]",
            "listed twice",
        ),
    ],
    ids=["no primary", "no estimand", "unknown", "wrong design", "primary twice", "repeat"],
)
def test_bad_plans_are_refused_naming_the_key(mutate, key, reason):
    assert_case(mutate, key, reason)


def test_every_analysis_is_produced_by_some_design():
    assert all(a.controls and a.label for a in ANALYSES.values())

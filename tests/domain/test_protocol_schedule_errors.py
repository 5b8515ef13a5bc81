"""Broken protocol files: rules spanning sections (visit order and windows, administrations,
harvests, day 0, analysis settings), each named by key path and reason."""

from __future__ import annotations

import pytest
from protocol_edits import P1V1, assert_case, delete, errors_of, kim_copy, put, visit

from alstrial.domain.protocol import protocol_from_dict

# Rules spanning sections: (mutation, key, reason).
SCHEDULE_CASES = {
    "window overlaps next": (
        put((*P1V1, "window_after_days"), 40),
        "phases[1].visits[1].window_after_days",
        "overlaps the window of the next visit HARV1",
    ),
    "windows touching": (
        # LI1 ends on day -54 + ... : make LI1's latest day equal HARV1's earliest day (-31).
        put((*P1V1, "window_after_days"), 30),
        "phases[1].visits[1].window_after_days",
        "overlaps",
    ),
    "visits out of order": (
        put((*P1V1, "day"), -95),
        "phases[1].visits[1].day",
        "must come after visit LI0",
    ),
    "visit order across phases": (
        put(("phases", 3, "visits", 0, "day"), 20),
        "phases[3].visits[0].day",
        "must come after visit INJ2",
    ),
    "duplicate code": (
        put(("phases", 3, "visits", 1, "code"), "FU2"),
        "phases[3].visits[1].code",
        "also used by phases[3].visits[0]",
    ),
    "phases out of epoch order": (
        lambda d: d["phases"].__setitem__(slice(2, 4), d["phases"][3:1:-1]),
        "phases[3].epoch",
        "comes after FOLLOW-UP",
    ),
    "admin count vs visits": (
        put(("interventions", "administrations", "count"), 3),
        "interventions.administrations.visits",
        "lists 2 visit(s) but count is 3",
    ),
    "admin visit unknown": (
        put(("interventions", "administrations", "visits"), ["INJ1", "INJ9"]),
        "interventions.administrations.visits[1]",
        "no visit has code 'INJ9'",
    ),
    "admin interval": (
        put(("interventions", "administrations", "interval_days"), 30),
        "interventions.administrations.visits[1]",
        "26 days after INJ1, but interval_days gives 30",
    ),
    "admin interval missing": (
        delete(("interventions", "administrations", "interval_days")),
        "interventions.administrations.interval_days",
        "required",
    ),
    "admin visit lacks form": (
        put(("phases", 2, "visits", 1, "forms"), ["alsfrs_r", "vitals"]),
        "phases[2].visits[1].forms",
        "add its form",
    ),
    "admin form on unlisted visit": (
        put(("phases", 3, "visits", 0, "forms"), ["alsfrs_r", "administration"]),
        "phases[3].visits[0].forms",
        "not listed in interventions.administrations.visits",
    ),
    "admin outside treatment": (
        lambda d: (
            d["interventions"]["administrations"].update(visits=["INJ1", "FU2"], interval_days=61),
            visit(d, 3, 0)["forms"].append("administration"),
            visit(d, 2, 1)["forms"].remove("administration"),
        ),
        "interventions.administrations.visits[1]",
        "FOLLOW-UP epoch, not TREATMENT",
    ),
    "harvest visit unknown": (
        put(("interventions", "harvest", "visits"), ["HARV1", "HARVX"]),
        "interventions.harvest.visits[1]",
        "no visit has code 'HARVX'",
    ),
    "harvest count": (
        lambda d: (
            d["interventions"]["harvest"].update(visits=["HARV1", "HARV2", "LI1"]),
            visit(d, 1, 1)["forms"].append("harvest"),
        ),
        "interventions.harvest.visits",
        "give one, or one per administration",
    ),
    "harvest after administration": (
        lambda d: (
            d["interventions"]["harvest"].update(visits=["HARV1", "FU2"]),
            visit(d, 3, 0)["forms"].append("harvest"),
            visit(d, 1, 3)["forms"].remove("harvest"),
        ),
        "interventions.harvest.visits[1]",
        "must come before administration visit INJ2",
    ),
    "harvest too late for the expansion": (
        put(("interventions", "product", "expansion_days"), 30),
        "interventions.harvest.visits[0]",
        "harvest visit HARV1 (day -28) is 28 days before administration visit INJ1 (day 0), "
        "fewer than the 30 expansion days",
    ),
    "harvest form on unlisted visit": (
        lambda d: visit(d, 1, 1)["forms"].append("harvest"),
        "phases[1].visits[1].forms",
        "not listed in interventions.harvest.visits",
    ),
    "day zero visit not day 0": (
        put(("trial", "day_zero_visit"), "INJ2"),
        "trial.day_zero_visit",
        "which is visit INJ1, not INJ2",
    ),
    "day zero visit unknown": (
        put(("trial", "day_zero_visit"), "BASE"),
        "trial.day_zero_visit",
        "no visit has code 'BASE'",
    ),
    "day zero is harvest": (
        put(("trial", "day_zero"), "harvest"),
        "trial.day_zero_visit",
        "which is visit HARV1, not INJ1",
    ),
    "enrolment day zero in treatment": (
        put(("trial", "day_zero"), "enrolment"),
        "trial.day_zero_visit",
        "TREATMENT epoch",
    ),
    "lead-in months vs first lead-in visit": (
        put(("analysis", "lead_in_months"), 4.0),
        "analysis.lead_in_months",
        "4 months before the first administration is day -121.8, outside the window of the "
        "first lead-in ALSFRS-R visit LI0 (days -96 to -84)",
    ),
    "follow-up days too short": (
        put(("analysis", "follow_up_days"), 90),
        "analysis.follow_up_days",
        "leaves out the end of the window of the last follow-up ALSFRS-R visit FU3 "
        "(days 84 to 98); use at least 98",
    ),
    "endotoxin too lax for intrathecal": (
        put(("release", "endotoxin_max_eu_per_kg"), 0.5),
        "release.endotoxin_max_eu_per_kg",
        "0.5 EU/kg is laxer than the 0.2 EU/kg limit for an intrathecal product",
    ),
    "viability too low": (
        put(("release", "viability_min_percent"), 60.0),
        "release.viability_min_percent",
        "below the lowest usual limit (70 %)",
    ),
    "lead-in decline without lead-in visits": (
        lambda d: (
            d["eligibility"].update(lead_in_decline_min_points_per_month=0.5),
            [visit(d, 1, i)["forms"].remove("alsfrs_r") for i in (1, 2)],
        ),
        "eligibility.lead_in_decline_min_points_per_month",
        "at least two RUN-IN visits with the alsfrs_r form",
    ),
    "lead-in without run-in": (
        lambda d: d["phases"][1].update(epoch="SCREENING"),
        "analysis.lead_in_months",
        "no phase has epoch RUN-IN",
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULE_CASES))
def test_schedule_errors(name):
    assert_case(*SCHEDULE_CASES[name])


def test_day_zero_visit_must_be_on_day_zero():
    data = kim_copy()
    for phase in data["phases"]:
        for v in phase["visits"]:
            v["day"] += 1  # shift everything: INJ1 is now day 1
    errors = errors_of(data)
    assert any("has day 1" in m for m in errors["phases[2].visits[0].day"])


def test_a_broken_section_does_not_hide_independent_errors():
    """A route error does not stop the administration visits from being checked."""
    data = kim_copy()
    data["interventions"]["route"]["name"] = "oral"
    data["interventions"]["administrations"]["visits"] = ["INJ1", "INJ9"]
    errors = errors_of(data)
    assert "interventions.route.name" in errors
    assert errors["interventions.administrations.visits[1]"] == ["no visit has code 'INJ9'"]


def test_endotoxin_limit_applies_to_neuraxial_routes_only():
    data = kim_copy()
    data["release"]["endotoxin_max_eu_per_kg"] = 0.5
    data["interventions"]["route"] = {"name": "intravenous"}
    errors = errors_of(data)  # Kim's lumbar-puncture events no longer fit an intravenous route
    assert "safety.expected_events[0].procedure" in errors
    assert "release.endotoxin_max_eu_per_kg" not in errors


def test_lead_in_decline_with_monthly_lead_in_visits_loads():
    data = kim_copy()
    data["eligibility"].update(
        lead_in_decline_min_points_per_month=0.5, lead_in_decline_max_points_per_month=3.0
    )
    assert protocol_from_dict(data).eligibility.lead_in_decline_min_points_per_month == 0.5

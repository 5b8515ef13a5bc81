"""Broken protocol files fail with every problem named by file, key path and reason."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from alstrial.domain.protocol import (
    ProtocolError,
    load_protocol,
    protocol_from_dict,
    protocol_from_toml,
)

KIM = Path(__file__).resolve().parents[2] / "protocols" / "kim2009.toml"
MAZZINI = KIM.with_name("mazzini2003.toml")
BASE = tomllib.loads(KIM.read_text())
BASE_MAZZINI = tomllib.loads(MAZZINI.read_text())

# Kim's file layout: phases[0] screening (SCR), phases[1] lead-in (LI0, LI1, HARV1, HARV2),
# phases[2] treatment (INJ1, INJ2), phases[3] follow-up (FU2, FU3).


def visit(d, phase, index):
    return d["phases"][phase]["visits"][index]


def errors_of(data, source="kim.toml") -> dict[str, list[str]]:
    with pytest.raises(ProtocolError) as info:
        protocol_from_dict(data, source=source)
    error = info.value
    # Every message names the file, the key and the reason.
    for field_error, message in zip(error.errors, error.messages(), strict=True):
        assert message == f"{source}: {field_error.field}: {field_error.message}"
    return error.by_field()


def _del(path):
    def mutate(d):
        *parents, last = path
        target = d
        for key in parents:
            target = target[key]
        del target[last]

    return mutate


def _set(path, value):
    def mutate(d):
        *parents, last = path
        target = d
        for key in parents:
            target = target[key]
        target[last] = value

    return mutate


P1V1 = ("phases", 1, "visits", 1)
CASES = {
    "missing key": (_del(("trial", "title")), "trial.title", "required key is missing"),
    "missing section": (_del(("release",)), "release", "required key is missing"),
    "missing visit key": (_del((*P1V1, "day")), "phases[1].visits[1].day", "missing"),
    "typo key": (
        _set((*P1V1, "window_afer_days"), 7),
        "phases[1].visits[1].window_afer_days",
        "unknown key",
    ),
    "typo top-level": (_set(("analyses",), {}), "analyses", "unknown key"),
    "string for int": (
        _set((*P1V1, "window_after_days"), "7"),
        "phases[1].visits[1].window_after_days",
        "must be an integer, got a string",
    ),
    "decimal day": (_set((*P1V1, "day"), -61.5), "phases[1].visits[1].day", "whole number"),
    "bool for number": (
        _set(("interventions", "vehicle", "volume_ml"), True),
        "interventions.vehicle.volume_ml",
        "got a boolean",
    ),
    "infinite volume": (
        _set(("interventions", "vehicle", "volume_ml"), float("inf")),
        "interventions.vehicle.volume_ml",
        "finite",
    ),
    "nan viability": (
        _set(("release", "viability_min_percent"), float("nan")),
        "release.viability_min_percent",
        "finite",
    ),
    "negative window": (
        _set((*P1V1, "window_before_days"), -1),
        "phases[1].visits[1].window_before_days",
        "at least 0",
    ),
    "forms not a list": (
        _set((*P1V1, "forms"), "alsfrs_r"),
        "phases[1].visits[1].forms",
        "array of strings",
    ),
    "unknown form": (
        _set((*P1V1, "forms"), ["alsfrs_r", "alsfrs"]),
        "phases[1].visits[1].forms[1]",
        "unknown value 'alsfrs'",
    ),
    "form twice": (
        _set((*P1V1, "forms"), ["fvc", "fvc"]),
        "phases[1].visits[1].forms[1]",
        "listed twice",
    ),
    "unknown route": (
        _set(("interventions", "route", "name"), "oral"),
        "interventions.route.name",
        "unknown value 'oral'",
    ),
    "pump on intrathecal": (
        _set(("interventions", "route", "pump_rate_ul_per_min"), 5.0),
        "interventions.route.pump_rate_ul_per_min",
        "intraspinal only",
    ),
    "intraspinal without level": (
        _set(("interventions", "route"), {"name": "intraspinal", "pump_rate_ul_per_min": 5.0}),
        "interventions.route.level",
        "required",
    ),
    "intraspinal without pump": (
        _set(("interventions", "route"), {"name": "intraspinal", "level": "T8"}),
        "interventions.route.pump_rate_ul_per_min",
        "required",
    ),
    "unknown epoch": (_set(("phases", 1, "epoch"), "LEAD-IN"), "phases[1].epoch", "unknown value"),
    "unknown el escorial": (
        _set(("eligibility", "el_escorial"), ["definite", "suspected"]),
        "eligibility.el_escorial[1]",
        "unknown value 'suspected'",
    ),
    "age min > max": (
        _set(("eligibility", "age_min_years"), 80),
        "eligibility.age_min_years",
        "greater than age_max_years",
    ),
    "alsfrs min > max": (
        _set(("eligibility", "alsfrs_r_min"), 48),
        "eligibility.alsfrs_r_min",
        "greater than alsfrs_r_max",
    ),
    "alsfrs above 48": (
        _set(("eligibility", "alsfrs_r_max"), 49),
        "eligibility.alsfrs_r_max",
        "at most 48",
    ),
    "decline min > max": (
        lambda d: d["eligibility"].update(
            lead_in_decline_min_points_per_month=2.0, lead_in_decline_max_points_per_month=1.0
        ),
        "eligibility.lead_in_decline_min_points_per_month",
        "greater than",
    ),
    "dose min > max": (
        _set(("interventions", "dose", "minimum"), 2.0e6),
        "interventions.dose.minimum",
        "greater than maximum",
    ),
    "dose target outside": (
        _set(("interventions", "dose", "target"), 2.0e6),
        "interventions.dose.target",
        "outside",
    ),
    "unknown dose rule": (
        _set(("interventions", "dose", "rule"), "per_m2"),
        "interventions.dose.rule",
        "unknown value",
    ),
    "zero expiry": (
        _set(("interventions", "product", "expiry_hours"), 0),
        "interventions.product.expiry_hours",
        "greater than 0",
    ),
    "release count min > max": (
        lambda d: d["release"].update(viable_count_min=1.05e6, viable_count_max=0.95e6),
        "release.viable_count_min",
        "greater than",
    ),
    "release outside dose": (
        _set(("release", "viable_count_max"), 5.0e6),
        "release.viable_count_max",
        "outside the dose range",
    ),
    "viability over 100": (
        _set(("release", "viability_min_percent"), 101),
        "release.viability_min_percent",
        "at most 100",
    ),
    "isct laxer positive": (
        _set(("release", "markers", "positive_min_percent", "CD105"), 90.0),
        "release.markers.positive_min_percent.CD105",
        "laxer than the ISCT",
    ),
    "isct laxer negative": (
        _set(("release", "markers", "negative_max_percent", "HLA-DR"), 5.0),
        "release.markers.negative_max_percent.HLA-DR",
        "laxer than the ISCT",
    ),
    "isct missing marker": (
        _del(("release", "markers", "negative_max_percent", "CD34")),
        "release.markers.negative_max_percent.CD34",
        "ISCT marker is missing",
    ),
    "isct unknown marker": (
        _set(("release", "markers", "positive_min_percent", "CD44"), 99.0),
        "release.markers.positive_min_percent.CD44",
        "unknown marker",
    ),
    "sterility value": (
        _set(("release", "sterility"), "positive"),
        "release.sterility",
        "unknown value",
    ),
    "term upper case": (
        _set(("safety", "expected_events", 0, "term"), "Headache"),
        "safety.expected_events[0].term",
        "lower case",
    ),
    "procedure not used": (
        _set(("safety", "expected_events", 0, "procedure"), "spinal_surgery"),
        "safety.expected_events[0].procedure",
        "not a procedure of this protocol",
    ),
    "death with grade": (
        _set(("safety", "stopping_rules", 2, "min_grade"), 5),
        "safety.stopping_rules[2].min_grade",
        "leave min_grade out",
    ),
    "related AE without grade": (
        _del(("safety", "stopping_rules", 0, "min_grade")),
        "safety.stopping_rules[0].min_grade",
        "required",
    ),
    "grade 6": (
        _set(("safety", "stopping_rules", 0, "min_grade"), 6),
        "safety.stopping_rules[0].min_grade",
        "at most 5",
    ),
    "zero subjects": (
        _set(("safety", "stopping_rules", 0, "subjects"), 0),
        "safety.stopping_rules[0].subjects",
        "at least 1",
    ),
    "matched without variables": (
        _del(("analysis", "matched_on")),
        "analysis.matched_on",
        "required",
    ),
    "matched_on without matching": (
        _set(("analysis", "control"), "none"),
        "analysis.matched_on",
        "matched_external",
    ),
    "bad slug": (_set(("trial", "slug"), "kim 2009"), "trial.slug", "letters, digits"),
    "non-ascii slug": (_set(("trial", "slug"), "kím2009"), "trial.slug", "ASCII letters"),
    "bad visit code": (_set((*P1V1, "code"), "LI 1"), "phases[1].visits[1].code", "ASCII"),
    "bad phase code": (_set(("phases", 0, "code"), "screen/1"), "phases[0].code", "ASCII"),
    "empty title": (_set(("trial", "title"), "  "), "trial.title", "must not be empty"),
    "phases empty": (_set(("phases",), []), "phases", "at least one entry"),
    "phase without visits": (
        _set(("phases", 0, "visits"), []),
        "phases[0].visits",
        "at least one entry",
    ),
    "phase is not a table": (_set(("phases",), ["screening"]), "phases", "array of tables"),
    "section is not a table": (_set(("eligibility",), "all"), "eligibility", "must be a table"),
    "day zero event": (_set(("trial", "day_zero"), "surgery"), "trial.day_zero", "unknown value"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_field_errors(name):
    mutate, key, reason = CASES[name]
    data = copy.deepcopy(BASE)
    mutate(data)
    errors = errors_of(data)
    assert key in errors, errors
    assert any(reason in message for message in errors[key]), errors[key]


# Rules spanning sections: (mutation, key, reason).
SCHEDULE_CASES = {
    "window overlaps next": (
        _set((*P1V1, "window_after_days"), 40),
        "phases[1].visits[1].window_after_days",
        "overlaps the window of the next visit HARV1",
    ),
    "windows touching": (
        # LI1 ends on day -54 + ... : make LI1's latest day equal HARV1's earliest day (-31).
        _set((*P1V1, "window_after_days"), 30),
        "phases[1].visits[1].window_after_days",
        "overlaps",
    ),
    "visits out of order": (
        _set((*P1V1, "day"), -95),
        "phases[1].visits[1].day",
        "must come after visit LI0",
    ),
    "visit order across phases": (
        _set(("phases", 3, "visits", 0, "day"), 20),
        "phases[3].visits[0].day",
        "must come after visit INJ2",
    ),
    "duplicate code": (
        _set(("phases", 3, "visits", 1, "code"), "FU2"),
        "phases[3].visits[1].code",
        "also used by phases[3].visits[0]",
    ),
    "phases out of epoch order": (
        lambda d: d["phases"].__setitem__(slice(2, 4), d["phases"][3:1:-1]),
        "phases[3].epoch",
        "comes after FOLLOW-UP",
    ),
    "admin count vs visits": (
        _set(("interventions", "administrations", "count"), 3),
        "interventions.administrations.visits",
        "lists 2 visit(s) but count is 3",
    ),
    "admin visit unknown": (
        _set(("interventions", "administrations", "visits"), ["INJ1", "INJ9"]),
        "interventions.administrations.visits[1]",
        "no visit has code 'INJ9'",
    ),
    "admin interval": (
        _set(("interventions", "administrations", "interval_days"), 30),
        "interventions.administrations.visits[1]",
        "26 days after INJ1, but interval_days is 30",
    ),
    "admin interval missing": (
        _del(("interventions", "administrations", "interval_days")),
        "interventions.administrations.interval_days",
        "required",
    ),
    "admin visit lacks form": (
        _set(("phases", 2, "visits", 1, "forms"), ["alsfrs_r", "vitals"]),
        "phases[2].visits[1].forms",
        "add its form",
    ),
    "admin form on unlisted visit": (
        _set(("phases", 3, "visits", 0, "forms"), ["alsfrs_r", "administration"]),
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
        _set(("interventions", "harvest", "visits"), ["HARV1", "HARVX"]),
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
    "harvest form on unlisted visit": (
        lambda d: visit(d, 1, 1)["forms"].append("harvest"),
        "phases[1].visits[1].forms",
        "not listed in interventions.harvest.visits",
    ),
    "day zero visit not day 0": (
        _set(("trial", "day_zero_visit"), "INJ2"),
        "trial.day_zero_visit",
        "which is visit INJ1, not INJ2",
    ),
    "day zero visit unknown": (
        _set(("trial", "day_zero_visit"), "BASE"),
        "trial.day_zero_visit",
        "no visit has code 'BASE'",
    ),
    "day zero is harvest": (
        _set(("trial", "day_zero"), "harvest"),
        "trial.day_zero_visit",
        "which is visit HARV1, not INJ1",
    ),
    "enrolment day zero in treatment": (
        _set(("trial", "day_zero"), "enrolment"),
        "trial.day_zero_visit",
        "TREATMENT epoch",
    ),
    "lead-in months vs first lead-in visit": (
        _set(("analysis", "lead_in_months"), 4.0),
        "analysis.lead_in_months",
        "4 months before the first administration is day -121.8, outside the window of the "
        "first lead-in ALSFRS-R visit LI0 (days -96 to -84)",
    ),
    "follow-up days too short": (
        _set(("analysis", "follow_up_days"), 90),
        "analysis.follow_up_days",
        "leaves out the end of the window of the last follow-up ALSFRS-R visit FU3 "
        "(days 84 to 98); use at least 98",
    ),
    "lead-in without run-in": (
        lambda d: d["phases"][1].update(epoch="SCREENING"),
        "analysis.lead_in_months",
        "no phase has epoch RUN-IN",
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULE_CASES))
def test_schedule_errors(name):
    mutate, key, reason = SCHEDULE_CASES[name]
    data = copy.deepcopy(BASE)
    mutate(data)
    errors = errors_of(data)
    assert key in errors, errors
    assert any(reason in message for message in errors[key]), errors[key]


def test_day_zero_visit_must_be_on_day_zero():
    data = copy.deepcopy(BASE)
    for phase in data["phases"]:
        for v in phase["visits"]:
            v["day"] += 1  # shift everything: INJ1 is now day 1
    errors = errors_of(data)
    assert any("has day 1" in m for m in errors["phases[2].visits[0].day"])


def test_every_error_is_reported_at_once():
    data = copy.deepcopy(BASE)
    del data["trial"]["title"]
    visit(data, 0, 0)["forms"].append("alsfrs")
    visit(data, 1, 1)["window_after_days"] = 40
    data["interventions"]["route"]["name"] = "oral"
    data["eligibility"]["age_min_years"] = 90
    errors = errors_of(data)
    assert set(errors) == {
        "trial.title",
        "phases[0].visits[0].forms[7]",
        "phases[1].visits[1].window_after_days",
        "interventions.route.name",
        "eligibility.age_min_years",
    }


def test_knock_on_errors_are_not_reported():
    """A visit whose code is missing is one error, not also 'administration visit unknown'."""
    data = copy.deepcopy(BASE)
    del visit(data, 2, 1)["code"]
    errors = errors_of(data)
    assert list(errors) == ["phases[2].visits[1].code"]


def test_mazzini_single_administration_needs_no_interval():
    data = copy.deepcopy(BASE_MAZZINI)
    data["interventions"]["administrations"]["interval_days"] = 0
    errors = errors_of(data, "mazzini.toml")
    assert "interventions.administrations.interval_days" in errors


def test_not_a_mapping():
    with pytest.raises(ProtocolError, match="must be a TOML table"):
        protocol_from_dict(["not", "a", "table"], source="x.toml")  # type: ignore[arg-type]


def test_file_errors_name_the_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(
        KIM.read_text().replace("window_after_days = 7\n", "window_after_days = \n", 1)
    )
    with pytest.raises(ProtocolError) as info:
        load_protocol(broken)
    (message,) = info.value.messages()
    assert message.startswith(f"{broken}: (file): not valid TOML")
    assert "line" in message

    with pytest.raises(ProtocolError, match="file not found"):
        load_protocol(tmp_path / "missing.toml")

    latin = tmp_path / "latin.toml"
    latin.write_bytes('title = "Protocole étude"'.encode("latin-1"))
    with pytest.raises(ProtocolError, match="not UTF-8 text"):
        load_protocol(latin)


def test_loaded_file_errors_carry_the_path(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(KIM.read_text().replace('name = "intrathecal"', 'name = "intrathecall"'))
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert info.value.source == str(path)
    assert str(info.value) == (
        f"{path}: interventions.route.name: unknown value 'intrathecall'; expected one of "
        "intrathecal, intraspinal, intravenous, intramuscular"
    )


def test_from_toml_text():
    assert protocol_from_toml(KIM.read_text(), source="upload.toml").source == "upload.toml"
    with pytest.raises(ProtocolError) as info:
        protocol_from_toml('[trial]\nslug = "x"\nslug = "y"\n', source="upload.toml")
    (message,) = info.value.messages()
    assert message.startswith("upload.toml: (file): not valid TOML")
    assert "line 3" in message

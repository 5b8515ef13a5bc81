"""Broken protocol files fail with every problem named by file, key path and reason: problems
with single keys (missing, unknown, wrong type, unknown value, impossible range), whole-file
problems, and everything reported at once. Rules spanning sections: test_protocol_schedule_errors.
"""

from __future__ import annotations

import copy

import pytest
from protocol_edits import (
    BASE_MAZZINI,
    KIM,
    P1V1,
    assert_case,
    delete,
    errors_of,
    kim_copy,
    put,
    visit,
)

from alstrial.domain.protocol import (
    ProtocolError,
    load_protocol,
    protocol_from_dict,
    protocol_from_toml,
)

CASES = {
    "missing key": (delete(("trial", "title")), "trial.title", "required key is missing"),
    "missing section": (delete(("release",)), "release", "required key is missing"),
    "missing visit key": (delete((*P1V1, "day")), "phases[1].visits[1].day", "missing"),
    "typo key": (
        put((*P1V1, "window_afer_days"), 7),
        "phases[1].visits[1].window_afer_days",
        "unknown key",
    ),
    "typo top-level": (put(("analyses",), {}), "analyses", "unknown key"),
    "string for int": (
        put((*P1V1, "window_after_days"), "7"),
        "phases[1].visits[1].window_after_days",
        "must be an integer, got a string",
    ),
    "decimal day": (put((*P1V1, "day"), -61.5), "phases[1].visits[1].day", "whole number"),
    "bool for number": (
        put(("interventions", "vehicle", "volume_ml"), True),
        "interventions.vehicle.volume_ml",
        "got a boolean",
    ),
    "infinite volume": (
        put(("interventions", "vehicle", "volume_ml"), float("inf")),
        "interventions.vehicle.volume_ml",
        "finite",
    ),
    "nan viability": (
        put(("release", "viability_min_percent"), float("nan")),
        "release.viability_min_percent",
        "finite",
    ),
    "negative window": (
        put((*P1V1, "window_before_days"), -1),
        "phases[1].visits[1].window_before_days",
        "at least 0",
    ),
    "forms not a list": (
        put((*P1V1, "forms"), "alsfrs_r"),
        "phases[1].visits[1].forms",
        "array of strings",
    ),
    "unknown form": (
        put((*P1V1, "forms"), ["alsfrs_r", "alsfrs"]),
        "phases[1].visits[1].forms[1]",
        "unknown value 'alsfrs'",
    ),
    "form twice": (
        put((*P1V1, "forms"), ["fvc", "fvc"]),
        "phases[1].visits[1].forms[1]",
        "listed twice",
    ),
    "unknown route": (
        put(("interventions", "route", "name"), "oral"),
        "interventions.route.name",
        "unknown value 'oral'",
    ),
    "pump on intrathecal": (
        put(("interventions", "route", "pump_rate_ul_per_min"), 5.0),
        "interventions.route.pump_rate_ul_per_min",
        "intraspinal only",
    ),
    "intraspinal without level": (
        put(("interventions", "route"), {"name": "intraspinal", "pump_rate_ul_per_min": 5.0}),
        "interventions.route.level",
        "required",
    ),
    "intraspinal without pump": (
        put(("interventions", "route"), {"name": "intraspinal", "level": "T8"}),
        "interventions.route.pump_rate_ul_per_min",
        "required",
    ),
    "unknown epoch": (put(("phases", 1, "epoch"), "LEAD-IN"), "phases[1].epoch", "unknown value"),
    "unknown el escorial": (
        put(("eligibility", "el_escorial"), ["definite", "suspected"]),
        "eligibility.el_escorial[1]",
        "unknown value 'suspected'",
    ),
    "age min > max": (
        put(("eligibility", "age_min_years"), 80),
        "eligibility.age_min_years",
        "greater than age_max_years",
    ),
    "alsfrs min > max": (
        put(("eligibility", "alsfrs_r_min"), 48),
        "eligibility.alsfrs_r_min",
        "greater than alsfrs_r_max",
    ),
    "alsfrs above 48": (
        put(("eligibility", "alsfrs_r_max"), 49),
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
        put(("interventions", "dose", "minimum"), 2.0e6),
        "interventions.dose.minimum",
        "greater than maximum",
    ),
    "dose target outside": (
        put(("interventions", "dose", "target"), 2.0e6),
        "interventions.dose.target",
        "outside",
    ),
    "unknown dose rule": (
        put(("interventions", "dose", "rule"), "per_m2"),
        "interventions.dose.rule",
        "unknown value",
    ),
    "zero expiry": (
        put(("interventions", "product", "expiry_hours"), 0),
        "interventions.product.expiry_hours",
        "greater than 0",
    ),
    "release count min > max": (
        lambda d: d["release"].update(viable_count_min=1.05e6, viable_count_max=0.95e6),
        "release.viable_count_min",
        "greater than",
    ),
    "release outside dose": (
        put(("release", "viable_count_max"), 5.0e6),
        "release.viable_count_max",
        "outside the dose range",
    ),
    "viability over 100": (
        put(("release", "viability_min_percent"), 101),
        "release.viability_min_percent",
        "at most 100",
    ),
    "isct laxer positive": (
        put(("release", "markers", "positive_min_percent", "CD105"), 90.0),
        "release.markers.positive_min_percent.CD105",
        "laxer than the ISCT",
    ),
    "isct laxer negative": (
        put(("release", "markers", "negative_max_percent", "HLA-DR"), 5.0),
        "release.markers.negative_max_percent.HLA-DR",
        "laxer than the ISCT",
    ),
    "isct missing marker": (
        delete(("release", "markers", "negative_max_percent", "CD34")),
        "release.markers.negative_max_percent.CD34",
        "ISCT marker is missing",
    ),
    "isct unknown marker": (
        put(("release", "markers", "positive_min_percent", "CD44"), 99.0),
        "release.markers.positive_min_percent.CD44",
        "unknown marker",
    ),
    "sterility value": (
        put(("release", "sterility"), "positive"),
        "release.sterility",
        "unknown value",
    ),
    "term upper case": (
        put(("safety", "expected_events", 0, "term"), "Headache"),
        "safety.expected_events[0].term",
        "lower case",
    ),
    "procedure not used": (
        put(("safety", "expected_events", 0, "procedure"), "spinal_surgery"),
        "safety.expected_events[0].procedure",
        "not a procedure of this protocol",
    ),
    "death with grade": (
        put(("safety", "stopping_rules", 2, "min_grade"), 5),
        "safety.stopping_rules[2].min_grade",
        "leave min_grade out",
    ),
    "related AE without grade": (
        delete(("safety", "stopping_rules", 0, "min_grade")),
        "safety.stopping_rules[0].min_grade",
        "required",
    ),
    "grade 6": (
        put(("safety", "stopping_rules", 0, "min_grade"), 6),
        "safety.stopping_rules[0].min_grade",
        "at most 5",
    ),
    "zero subjects": (
        put(("safety", "stopping_rules", 0, "subjects"), 0),
        "safety.stopping_rules[0].subjects",
        "at least 1",
    ),
    "matched without variables": (
        delete(("analysis", "matched_on")),
        "analysis.matched_on",
        "required",
    ),
    "matched_on without matching": (
        put(("analysis", "control"), "none"),
        "analysis.matched_on",
        "matched_external",
    ),
    "bad slug": (put(("trial", "slug"), "kim 2009"), "trial.slug", "letters, digits"),
    "non-ascii slug": (put(("trial", "slug"), "kím2009"), "trial.slug", "ASCII letters"),
    "bad visit code": (put((*P1V1, "code"), "LI 1"), "phases[1].visits[1].code", "ASCII"),
    "bad phase code": (put(("phases", 0, "code"), "screen/1"), "phases[0].code", "ASCII"),
    "empty title": (put(("trial", "title"), "  "), "trial.title", "must not be empty"),
    "phases empty": (put(("phases",), []), "phases", "at least one entry"),
    "phase without visits": (
        put(("phases", 0, "visits"), []),
        "phases[0].visits",
        "at least one entry",
    ),
    "phase is not a table": (put(("phases",), ["screening"]), "phases", "array of tables"),
    "section is not a table": (put(("eligibility",), "all"), "eligibility", "must be a table"),
    "day zero event": (put(("trial", "day_zero"), "surgery"), "trial.day_zero", "unknown value"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_field_errors(name):
    assert_case(*CASES[name])


def test_every_error_is_reported_at_once():
    data = kim_copy()
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
    data = kim_copy()
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

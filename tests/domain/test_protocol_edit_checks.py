"""The [[checks]] section of a protocol: the closed vocabulary, each kind's parameters."""

from __future__ import annotations

import copy

from protocol_edits import BASE, errors_of

from alstrial.domain.protocol import protocol_from_dict


def _with_checks(*checks: dict) -> dict:
    data = copy.deepcopy(BASE)
    data["checks"] = list(checks)
    return data


def test_a_protocol_without_checks_has_none():
    data = copy.deepcopy(BASE)
    data.pop("checks", None)
    assert protocol_from_dict(data).checks == ()


def test_parameters_are_read_for_their_kind():
    protocol = protocol_from_dict(
        _with_checks(
            {"code": "drop", "kind": "alsfrs_drop", "points": 6},
            {"code": "fvc", "kind": "fvc_below_without_respiratory_ae", "percent": 45.5},
        )
    )
    drop, fvc = protocol.checks
    assert (drop.kind, drop.points, drop.percent) == ("alsfrs_drop", 6, None)
    assert (fvc.percent, fvc.within_days) == (45.5, None)


def test_unknown_kind_missing_and_foreign_parameters_are_named():
    errors = errors_of(
        _with_checks(
            {"code": "a", "kind": "alsfrs_slope"},
            {"code": "b", "kind": "alsfrs_drop"},
            {"code": "c", "kind": "visit_out_of_window", "points": 3},
            {"code": "d", "kind": "alsfrs_drop", "points": 48},
            {"code": "e", "kind": "fvc_below_without_respiratory_ae", "percent": 0},
            {"code": "f", "kind": "ae_onset_before_consent", "threshold": 1},
        )
    )
    assert "unknown value 'alsfrs_slope'" in errors["checks[0].kind"][0]
    assert errors["checks[1].points"] == ["required key is missing"]
    assert errors["checks[2].points"] == ["does not apply to kind 'visit_out_of_window'"]
    assert errors["checks[3].points"] == ["must be at most 47, got 48"]
    assert errors["checks[4].percent"] == ["must be greater than 0, got 0"]
    assert errors["checks[5].threshold"] == ["unknown key (is it misspelt?)"]
    assert not any(key.startswith("checks[0].points") for key in errors)


def test_codes_are_distinct():
    errors = errors_of(
        _with_checks(
            {"code": "same", "kind": "visit_out_of_window"},
            {"code": "same", "kind": "dose_out_of_window"},
        )
    )
    assert errors == {"checks[1].code": ["'same' is used by two checks"]}


def test_a_check_needs_the_form_it_reads_in_the_schedule():
    data = _with_checks({"code": "fvc", "kind": "fvc_below_without_respiratory_ae", "percent": 50})
    for phase in data["phases"]:
        for visit in phase["visits"]:
            visit["forms"] = [f for f in visit["forms"] if f != "fvc"]
    errors = errors_of(data)
    assert errors["checks[0].kind"] == ["no visit of the schedule collects the fvc form"]

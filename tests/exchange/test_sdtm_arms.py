"""DM arms as SDTMIG 3.4 has them, and the rules CORE flagged (ARM/ARMNRS, ARMCD vs ACTARMCD,
RFENDTC with ARM) as checks the exporter runs before writing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from exchange_trial import build_trial_data

from alstrial.exchange.sdtm import build_sdtm
from alstrial.exchange.sdtm_arms import dm_arms
from alstrial.exchange.sdtm_checks import check_sdtm
from alstrial.exchange.sdtm_dm_rules import check_dm_arms

MSC = ("MSC", "Autologous bone marrow MSC")
TREATMENT = "Autologous MSC"


@pytest.mark.parametrize(
    ("planned", "screen_failed", "treated", "expected"),
    [
        (MSC, False, True, ("MSC", "MSC", "", "")),
        (None, True, False, ("", "", "SCREEN FAILURE", "")),
        (None, False, False, ("", "", "NOT ASSIGNED", "")),
        (MSC, False, False, ("MSC", "", "ASSIGNED, NOT TREATED", "")),
        (None, False, True, ("", "", "UNPLANNED TREATMENT", TREATMENT)),
    ],
)
def test_arm_variables_by_reason(planned, screen_failed, treated, expected):
    arms = dm_arms(planned, screen_failed=screen_failed, treated=treated, treatment=TREATMENT)
    assert (arms["ARMCD"], arms["ACTARMCD"], arms["ARMNRS"], arms["ACTARMUD"]) == expected
    assert bool(arms["ARM"]) == bool(arms["ARMCD"])
    assert bool(arms["ACTARM"]) == bool(arms["ACTARMCD"])


def test_subject_still_in_screening_is_not_assigned():
    data = build_trial_data()
    subjects = data.subjects.copy()
    failure = subjects["status"] == "screen_failed"
    subjects.loc[failure, "status"] = "screening"
    data = replace(data, frames={**data.frames, "subjects": subjects})
    datasets = build_sdtm(data)
    dm = datasets["DM"].set_index("SUBJID")
    waiting = dm.loc[subjects.loc[failure, "subject_id"].iloc[0]]
    assert waiting["ARMCD"] == waiting["ACTARMCD"] == ""  # not the MSC arm
    assert waiting["ARMNRS"] == "NOT ASSIGNED"
    assert waiting["RFENDTC"] == ""
    assert check_sdtm(datasets) == []


def test_the_exported_dm_passes_the_arm_rules():
    dm = build_sdtm(build_trial_data())["DM"]
    assert set(dm["ARMNRS"]) == {"", "SCREEN FAILURE"}
    assert check_dm_arms(dm) == []


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("ARMCD", "SCRNFAIL", "pseudo-arm"),
        ("ARMNRS", "", "ARMNRS ''"),
        ("ARMNRS", "WITHDRAWN", "not a term of ARMNULRS"),
        ("RFENDTC", "2025-01-06", "RFENDTC '2025-01-06'"),
        ("ACTARMUD", "cells", "ACTARMUD is given exactly"),
    ],
)
def test_rules_catch_a_broken_screen_failure(column, value, expected):
    dm = build_sdtm(build_trial_data())["DM"]
    row = dm.index[dm["ARMNRS"] == "SCREEN FAILURE"][0]
    dm.loc[row, column] = value
    problems = check_dm_arms(dm)
    assert any(expected in p for p in problems), problems


def test_rules_catch_an_actual_arm_unlike_the_planned_one():
    dm = build_sdtm(build_trial_data())["DM"]
    row = dm.index[dm["ARMCD"] == "MSC"][0]
    dm.loc[row, ["ACTARMCD", "ACTARM"]] = ["PBO", "Placebo"]
    assert any("differs from ARMCD" in p for p in check_dm_arms(dm))
    dm.loc[row, ["ACTARMCD", "ACTARM"]] = ["", ""]
    assert any("ARMNRS ''" in p for p in check_dm_arms(dm))

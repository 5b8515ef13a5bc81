"""``alstrial analyse --design randomised``: the contract keys mmrm, ancova and survival in
--json (values held to R in test_randomised_against_r.py), the text summary, the options and
bad input (exit 2 naming the problem)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.randomised import RandomisedSettings, analyse_randomised
from alstrial.cli import app

runner = CliRunner()
CASE = Path(__file__).parents[1] / "reference" / "randomised" / "small"
EXPECTED = json.loads((CASE.parent.parent / "randomised_r.json").read_text())["small"]


def _args(*extra):
    return [
        "analyse",
        "--subjects",
        str(CASE / "subjects.csv"),
        "--visits",
        str(CASE / "visits.csv"),
        "--design",
        "randomised",
        *extra,
    ]


def test_json_has_the_contract_keys():
    outcome = runner.invoke(app, _args("--json"))
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    diff = result["mmrm"]["treatment_difference"]
    assert set(diff) == {"visit", "estimate", "se", "df", "p", "ci_low", "ci_high"}
    assert diff["estimate"] == pytest.approx(EXPECTED["mmrm"]["estimate"], rel=1e-5)
    assert result["mmrm"]["df_method"] == "satterthwaite"
    assert result["ancova"]["estimate"] == pytest.approx(EXPECTED["ancova"]["estimate"])
    survival = result["survival"]
    assert survival["events"] == EXPECTED["survival"]["events"]
    assert set(survival["cox"]) >= {"hazard_ratio", "ci_low", "ci_high", "p"}
    assert set(survival["rmst"]) >= {"tau_days", "treated", "control", "difference", "se", "p"}


def test_kenward_roger_and_rmst_tau_options():
    options = ("--json", "--df-method", "kenward_roger", "--rmst-tau", "120")
    outcome = runner.invoke(app, _args(*options))
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    data = read_analysis_data(CASE / "subjects.csv", CASE / "visits.csv")
    direct = analyse_randomised(data, RandomisedSettings("kenward_roger", 120)).to_dict()
    assert result["mmrm"]["treatment_difference"] == direct["mmrm"]["treatment_difference"]
    assert result["survival"]["rmst"]["tau_days"] == 120


def test_text_summary_names_the_primary_numbers():
    outcome = runner.invoke(app, _args())
    assert outcome.exit_code == 0, outcome.output
    diff = EXPECTED["mmrm"]
    assert f"MMRM, change from baseline at {diff['visit']}" in outcome.stdout
    assert f"{diff['estimate']:.3f} points" in outcome.stdout
    assert "log-rank p" in outcome.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--df-method", "containment"), "df_method"),
        (("--rmst-tau", "100000"), "rmst_tau"),
        (("--design", "crossover"), "unknown design"),
    ],
)
def test_bad_options_exit_2_naming_them(extra, message):
    args = _args(*extra)
    if extra[0] == "--design":
        args = args[:-2] + list(extra)
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == 2
    assert message in outcome.output

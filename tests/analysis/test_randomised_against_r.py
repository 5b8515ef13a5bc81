"""The randomised-trial analyses against R (tests/reference/randomised_r.R: nlme gls with
corSymm + varIdent and emmeans; lm; survival's survdiff and coxph; RMST by hand from survfit)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.randomised import RandomisedSettings, analyse_randomised

REFERENCE = Path(__file__).parents[1] / "reference"
EXPECTED = json.loads((REFERENCE / "randomised_r.json").read_text())
CASES = sorted(EXPECTED)


@pytest.fixture(scope="module", params=CASES)
def case(request):
    folder = REFERENCE / "randomised" / request.param
    data = read_analysis_data(folder / "subjects.csv", folder / "visits.csv")
    return analyse_randomised(data).to_dict(), EXPECTED[request.param]


def test_mmrm_matches_nlme_and_emmeans(case):
    ours, r = case
    mmrm, ref = ours["mmrm"], r["mmrm"]
    assert mmrm["visits"] == ref["visits"]  # time order, not label order (M10 after M6)
    assert mmrm["n_rows"] == ref["n_rows"]
    diff = mmrm["treatment_difference"]
    assert diff["visit"] == ref["visit"]
    # nlme stops at its own tolerance; ours reaches an equal or higher REML likelihood
    assert mmrm["reml_log_likelihood"] >= ref["log_likelihood_coding_free"] - 1e-7
    assert diff["estimate"] == pytest.approx(ref["estimate"], rel=1e-5, abs=1e-5)
    assert diff["se"] == pytest.approx(ref["se"], rel=1e-5)
    # emmeans differentiates nlme's apVar numerically; ours is the exact observed information
    assert diff["df"] == pytest.approx(ref["df"], rel=2e-3)
    assert diff["p"] == pytest.approx(ref["p"], rel=1e-3)
    assert diff["ci_low"] == pytest.approx(ref["ci_low"], rel=1e-4, abs=1e-4)
    assert diff["ci_high"] == pytest.approx(ref["ci_high"], rel=1e-4, abs=1e-4)
    assert np.allclose(mmrm["covariance"], ref["covariance"], rtol=1e-3)
    ours_lsm = {(m["visit"], m["arm"]): m for m in mmrm["ls_means"]}
    for row in _rows(ref["ls_means"]):
        mine = ours_lsm[(row["visit"], row["arm"])]
        assert mine["ls_mean"] == pytest.approx(row["ls_mean"], rel=1e-5, abs=1e-5)
        assert mine["se"] == pytest.approx(row["se"], rel=1e-5)


def test_ancova_matches_lm(case):
    ours, r = case
    for key in ("estimate", "se", "df", "p"):
        assert ours["ancova"][key] == pytest.approx(r["ancova"][key], rel=1e-9)
    assert sum(ours["ancova"]["n"].values()) == r["ancova"]["n"]


def test_survival_matches_survival_package(case):
    ours, r = case
    s, ref = ours["survival"], r["survival"]
    assert s["events"] == ref["events"]
    assert s["log_rank_p"] == pytest.approx(ref["log_rank_p"], rel=1e-9)
    for key in ("hazard_ratio", "ci_low", "ci_high", "p"):
        assert s["cox"][key] == pytest.approx(ref["cox"][key], rel=1e-6)
    for key in ("tau_days", "treated", "control", "difference", "se", "p"):
        assert s["rmst"][key] == pytest.approx(ref["rmst"][key], rel=1e-9)
    km = {(row["arm"], row["time"]): row for row in s["km"]}
    for row in _rows(ref["km"]):
        mine = km[(row["arm"], row["time"])]
        assert mine["n_risk"] == row["n_risk"]
        assert mine["n_event"] == row["n_event"]
        assert mine["survival"] == pytest.approx(row["survival"], rel=1e-12)


def test_rmst_tau_can_be_set(tmp_path):
    folder = REFERENCE / "randomised" / "small"
    data = read_analysis_data(folder / "subjects.csv", folder / "visits.csv")
    shorter = analyse_randomised(data, RandomisedSettings(rmst_tau_days=100)).survival.rmst
    assert shorter.tau_days == 100
    assert shorter.treated <= 100


def _rows(columns: dict | list) -> list[dict]:
    """jsonlite writes a data frame as a list of rows."""
    if isinstance(columns, list):
        return columns
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


@pytest.mark.parametrize("name", CASES)
def test_kenward_roger_matches_the_dense_sas_computation(name):
    folder = REFERENCE / "randomised" / name
    data = read_analysis_data(folder / "subjects.csv", folder / "visits.csv")
    kr = analyse_randomised(data, RandomisedSettings(df_method="kenward_roger")).to_dict()["mmrm"]
    ref = EXPECTED[name]["mmrm"]["kenward_roger"]
    assert kr["df_method"] == "kenward_roger"
    assert kr["se_kenward_roger_adjusted"] is True
    diff = kr["treatment_difference"]
    # R evaluates at nlme's optimum, which stops at its own tolerance
    assert diff["se"] == pytest.approx(ref["se"], rel=1e-4)
    assert diff["df"] == pytest.approx(ref["df"], rel=2e-4)
    assert diff["se"] > ref["se_unadjusted"]  # the adjustment widens the interval


def test_the_pipeline_runs_the_randomised_design_and_writes_its_files(tmp_path):
    from alstrial.analysis.pipeline import RANDOMISED, run_pipeline
    from alstrial.analysis.randomised import RANDOMISED_OUTPUT_NAMES

    folder = REFERENCE / "randomised" / "dropout"
    data = read_analysis_data(folder / "subjects.csv", folder / "visits.csv")
    result = run_pipeline(data, design=RANDOMISED, out=tmp_path / "out")
    as_json = result.to_dict()
    expected = EXPECTED["dropout"]
    assert as_json["mmrm"]["treatment_difference"]["estimate"] == pytest.approx(
        expected["mmrm"]["estimate"], rel=1e-5
    )
    assert as_json["ancova"]["p"] == pytest.approx(expected["ancova"]["p"], rel=1e-9)
    assert as_json["survival"]["events"] == expected["survival"]["events"]
    assert "arms" in as_json  # the efficacy keys stay
    assert as_json["settings"]["df_method"] == "satterthwaite"
    written = {path.name for path in result.files}
    assert set(RANDOMISED_OUTPUT_NAMES) <= written
    saved = json.loads((tmp_path / "out" / "randomised.json").read_text())
    assert saved["mmrm"] == json.loads(json.dumps(as_json["mmrm"]))

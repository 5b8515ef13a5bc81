"""The protocol's analysis plan in the result and the report: ``primary`` is the number of the
analysis it names (checked against R), secondaries follow in order, settings are checked against
a lock, and the report opens with the primary (docs/analysis.md, "Analysis plan")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.pipeline import RANDOMISED, ReportRequest, run_pipeline
from alstrial.analysis.plan import READERS
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.analysis_plan import ANALYSES, AnalysisPlan
from alstrial.domain.plan_lock import LockedPlan, plan_sha256
from alstrial.domain.protocol import load_protocol

REFERENCE = Path(__file__).parents[1] / "reference"
KIM_PLAN = load_protocol("protocols/kim2009.toml").analysis.plan
RCT_PLAN = load_protocol("protocols/msc_rct.toml").analysis.plan


@pytest.fixture(scope="module")
def efficacy_data():
    folder = REFERENCE / "efficacy"
    return read_analysis_data(folder / "subjects.csv", folder / "visits.csv")


def _lock(settings: AnalysisSettings, plan: AnalysisPlan, type_i_error: float = 0.051):
    content = {
        "plan": plan.to_dict(),
        "settings": settings.to_dict(),
        "operating_characteristics": {"type_i_error": type_i_error},
    }
    return LockedPlan(plan_sha256(content), "2026-01-05T09:00:00+00:00", content)


def test_every_analysis_of_the_vocabulary_has_a_reader():
    assert set(READERS) == set(ANALYSES)


def test_the_primary_is_the_named_result_and_agrees_with_r(efficacy_data):
    expected = json.loads((REFERENCE / "efficacy_r.json").read_text())["between_arms"]["change"]
    as_json = run_pipeline(efficacy_data, plan=KIM_PLAN).to_dict()
    primary = as_json["primary"]
    assert primary["name"] == "change_vs_control"
    assert primary["method"] == "Welch t-test"
    assert primary["estimate"] == pytest.approx(expected["difference"], rel=1e-9)
    assert [primary["ci_low"], primary["ci_high"]] == pytest.approx(
        expected["difference_ci"], rel=1e-9
    )
    assert primary["p"] == pytest.approx(expected["welch_t_p"], rel=1e-9)
    assert primary["locked_sha256"] is None
    roles = [(r["name"], r["role"]) for r in as_json["analysis_plan"]["results"]]
    assert roles == [
        ("change_vs_control", "primary"),
        ("slope_change_vs_control_mixed", "secondary"),
        ("change_vs_control_rank", "secondary"),
        ("slope_change_treated_paired", "secondary"),
    ]
    mixed = as_json["analysis_plan"]["results"][1]
    assert mixed["estimate"] == as_json["mixed_model"]["two_arm"]["slope_change_difference"]


def test_without_a_plan_there_is_no_primary(efficacy_data):
    as_json = run_pipeline(efficacy_data).to_dict()
    assert as_json["primary"] is None
    assert as_json["analysis_plan"] is None


def test_a_locked_plan_names_its_hash_and_the_settings_deviating_from_it(efficacy_data):
    locked_settings = AnalysisSettings(follow_up_days=90)
    lock = _lock(locked_settings, KIM_PLAN)
    same = run_pipeline(efficacy_data, settings=locked_settings, plan=KIM_PLAN, locked=lock)
    assert same.to_dict()["primary"]["locked_sha256"] == lock.sha256
    assert same.to_dict()["analysis_plan"]["deviations"] == []
    other = run_pipeline(
        efficacy_data, settings=AnalysisSettings(follow_up_days=120), plan=KIM_PLAN, locked=lock
    )
    found = other.to_dict()["analysis_plan"]["deviations"]
    assert "setting follow_up_days: 120 instead of the locked 90" in found


def test_the_report_opens_with_the_locked_primary(efficacy_data, tmp_path):
    settings = AnalysisSettings(follow_up_days=90)
    lock = _lock(settings, KIM_PLAN, type_i_error=0.047)
    result = run_pipeline(
        efficacy_data,
        settings=settings,
        plan=KIM_PLAN,
        locked=lock,
        out=tmp_path,
        report=ReportRequest(pdf=False),
    )
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    primary = result.to_dict()["primary"]
    first = html.index('<section id="primary">')
    assert first < html.index('<section id="settings">') < html.index('<section id="efficacy">')
    statement = html[first : html.index("</p>", first)]
    assert "Change in ALSFRS-R over follow-up, treated minus control (Welch t" in statement
    assert f"+{primary['estimate']:.2f}" in statement
    assert f"p = {primary['p']:.3f}" in statement
    assert "simulated type I error of this analysis is 0.047" in statement
    assert lock.sha256 in html
    assert "no deviation" in html


def test_the_randomised_primary_is_the_mmrm_difference_against_r():
    expected = json.loads((REFERENCE / "randomised_r.json").read_text())["dropout"]["mmrm"]
    folder = REFERENCE / "randomised" / "dropout"
    data = read_analysis_data(folder / "subjects.csv", folder / "visits.csv")
    as_json = run_pipeline(data, design=RANDOMISED, plan=RCT_PLAN).to_dict()
    primary = as_json["primary"]
    assert primary["name"] == "mmrm_difference"
    assert primary["estimate"] == pytest.approx(expected["estimate"], rel=1e-5)
    assert primary["p"] == pytest.approx(expected["p"], rel=1e-3)
    assert primary["ci_low"] == pytest.approx(expected["ci_low"], rel=1e-4)
    secondaries = [r["name"] for r in as_json["analysis_plan"]["results"][1:]]
    assert secondaries == ["ancova_change", "survival_hazard_ratio", "rmst_difference"]
    assert as_json["analysis_plan"]["results"][1]["estimate"] == as_json["ancova"]["estimate"]

"""The one analysis pipeline: the result is the engine's, the files are copies of it, the report
and the data files come from the same run, and nothing is written when a step is refused."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.controls import require_no_trial_controls, with_registry_controls
from alstrial.analysis.data import SERIES_END_COLUMNS, AnalysisData, read_analysis_data
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.pipeline import (
    DATA_DIR,
    ReportRequest,
    run_pipeline,
    write_analysis_data,
)
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.errors import FieldError
from alstrial.registry.proact import read_registry
from alstrial.registry.synth import synthesize, write_proact


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry")
    write_proact(synthesize(1500, seed=11), folder)
    return read_registry(folder)


def _data(**cohort) -> AnalysisData:
    return AnalysisData.from_frames(*kim_like_cohort(**cohort))


def test_result_is_the_engines_and_the_files_are_copies_of_it(tmp_path):
    data = _data(seed=2, n_treated=12, n_control=10, death_rate_per_month=0.05)
    settings = AnalysisSettings(follow_up_days=90)
    result = run_pipeline(data, settings=settings, out=tmp_path / "out")
    direct = analyse(data, settings)
    as_json = result.to_dict()
    # Without the protocol's analysis plan there is no primary (docs/analysis.md).
    assert (as_json.pop("primary"), as_json.pop("analysis_plan")) == (None, None)
    assert as_json == direct.to_dict()
    written = json.loads((tmp_path / "out" / "analysis.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(direct.to_dict()))
    assert result.arm_counts() == {
        arm: {"n": s.n, "n_paired": s.n_paired} for arm, s in direct.arms.items()
    }
    slopes = pd.read_csv(tmp_path / "out" / "subject_slopes.csv")
    assert len(slopes) == result.arm_counts()["treated"]["n"] + result.arm_counts()["control"]["n"]
    assert set(result.files) == set((tmp_path / "out").iterdir())
    assert result.report is None
    assert result.matching is None


def test_without_out_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_pipeline(_data(seed=3, n_treated=8, n_control=0))
    assert result.files == ()
    assert list(tmp_path.iterdir()) == []
    assert result.arm_counts()["control"] == {"n": 0, "n_paired": 0}


def test_report_and_data_files_come_from_the_same_run(tmp_path):
    subjects, visits = kim_like_cohort(
        seed=2, n_treated=15, n_control=15, death_rate_per_month=0.05
    )
    data = AnalysisData.from_frames(subjects, visits)
    result = run_pipeline(
        data, out=tmp_path / "out", write_data=True, report=ReportRequest(pdf=False)
    )
    html = result.report.html.read_text(encoding="utf-8")
    assert "No registry controls were matched" in html
    assert "No natural-history registry was given" in html
    assert result.efficacy.cafs is not None  # deaths in follow-up: CAFS computed and reported
    assert "Combined assessment of function and survival" in html
    again = read_analysis_data(
        tmp_path / "out" / DATA_DIR / "subjects.csv", tmp_path / "out" / DATA_DIR / "visits.csv"
    )
    pd.testing.assert_frame_equal(again.subjects, data.subjects)
    pd.testing.assert_frame_equal(again.visits, data.visits)
    assert {result.report.html, tmp_path / "out" / DATA_DIR / "subjects.csv"} <= set(result.files)


def test_whole_ages_are_written_as_entered(tmp_path):
    subjects, visits = kim_like_cohort(seed=5, n_treated=4, n_control=0)
    # the shape the database extractor gives: whole-year ages, every day column
    subjects["age_years"] = subjects["age_years"].round().astype(int)
    for column in SERIES_END_COLUMNS:
        subjects[column] = pd.Series(pd.NA, index=subjects.index, dtype="Int64")
    write_analysis_data(AnalysisData.from_frames(subjects, visits), tmp_path)
    assert (tmp_path / "subjects.csv").read_text(encoding="utf-8") == subjects.to_csv(index=False)
    assert (tmp_path / "visits.csv").read_text(encoding="utf-8") == visits.to_csv(index=False)


def test_registry_controls_are_those_the_matching_draws(registry, tmp_path):
    data = _data(seed=4, n_treated=22, n_control=0)
    settings = AnalysisSettings()
    result = run_pipeline(data, settings=settings, registry=registry, out=tmp_path / "out")
    combined, matching = with_registry_controls(data, registry, settings)
    as_json = result.to_dict()
    assert (as_json.pop("primary"), as_json.pop("analysis_plan")) == (None, None)  # no plan
    assert as_json == analyse(combined, settings, matching=matching).to_dict()
    assert result.arm_counts()["control"]["n"] > 0
    assert set(result.data.subjects["subject_id"]) == set(combined.subjects["subject_id"])
    assert result.trial_data is data  # the trial's own data, as given


def test_trial_controls_are_never_mixed_with_registry_controls(registry, tmp_path):
    data = _data(seed=2, n_treated=5, n_control=5)
    with pytest.raises(FieldError, match="never mixed") as refused:
        run_pipeline(data, registry=registry, out=tmp_path / "out", report=ReportRequest())
    assert refused.value.field == "arm"
    assert not (tmp_path / "out").exists()


def test_the_never_mix_rule_itself():
    treated_only = pd.DataFrame({"arm": ["treated", "treated"]})
    require_no_trial_controls(treated_only)  # a single-arm trial: allowed
    with pytest.raises(FieldError, match="never mixed"):
        require_no_trial_controls(pd.DataFrame({"arm": ["treated", "control"]}))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"design": "crossover"}, "design"),
        ({"report": ReportRequest()}, "out"),
        ({"write_data": True}, "out"),
    ],
)
def test_refusals_name_the_field_and_write_nothing(options, field, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FieldError) as refused:
        run_pipeline(_data(seed=1, n_treated=4, n_control=0), **options)
    assert refused.value.field == field
    assert list(tmp_path.iterdir()) == []


def test_a_failing_report_leaves_the_earlier_run_untouched(tmp_path, monkeypatch):
    import weasyprint

    out = tmp_path / "out"
    data = _data(seed=6, n_treated=10, n_control=8)
    first = run_pipeline(data, out=out, write_data=True, report=ReportRequest(pdf=False))
    before = {path: path.read_bytes() for path in first.files}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    other = _data(seed=7, n_treated=9, n_control=9)
    with pytest.raises(OSError, match="disk full"):
        run_pipeline(other, out=out, write_data=True, report=ReportRequest(pdf=True))
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_a_new_run_never_leaves_files_of_the_earlier_one(registry, tmp_path):
    out = tmp_path / "out"
    with_controls = run_pipeline(
        _data(seed=4, n_treated=22, n_control=0),
        registry=registry,
        out=out,
        report=ReportRequest(pdf=False),
    )
    assert (out / "figures" / "love_plot.svg") in with_controls.files
    assert (out / "responder_tests.csv").exists()
    (out / "notes.txt").write_text("the user's own file", encoding="utf-8")
    plain = run_pipeline(
        _data(seed=4, n_treated=22, n_control=0), out=out, report=ReportRequest(pdf=False)
    )
    on_disk = {p for p in out.rglob("*") if p.is_file()}
    assert on_disk == {*plain.files, out / "notes.txt"}
    assert not (out / "figures" / "love_plot.svg").exists()
    assert not (out / "responder_tests.csv").exists()  # no controls: no between-arm responders

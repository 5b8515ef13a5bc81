"""``alstrial analyse``: the JSON object, tables and figures, and bad input (exit 2, every bad
row listed with file, line and column)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from support.synthetic_cohort import kim_like_cohort
from typer.testing import CliRunner

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    subjects, visits = kim_like_cohort(21, effect=0.5)
    subjects.to_csv(folder / "subjects.csv", index=False)
    visits.to_csv(folder / "visits.csv", index=False)
    return folder


def _args(folder, *extra):
    return [
        "analyse",
        "--subjects",
        str(folder / "subjects.csv"),
        "--visits",
        str(folder / "visits.csv"),
        *extra,
    ]


def test_json_is_the_result_object(files):
    outcome = runner.invoke(app, _args(files, "--json"))
    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    subjects = pd.read_csv(files / "subjects.csv")
    visits = pd.read_csv(files / "visits.csv")
    expected = json.loads(json.dumps(analyse(AnalysisData.from_frames(subjects, visits)).to_dict()))
    # No --protocol, so no analysis plan: the contract key is there, null (docs/analysis.md).
    assert (printed.pop("primary"), printed.pop("analysis_plan")) == (None, None)
    assert printed == expected


def test_json_names_the_protocols_primary(files):
    outcome = runner.invoke(app, _args(files, "--json", "--protocol", "protocols/kim2009.toml"))
    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    assert printed["primary"]["name"] == "change_vs_control"
    change = printed["between_arms"]["change"]
    assert change["difference"] is not None  # the cohort has its own controls
    assert printed["primary"]["estimate"] == change["difference"]
    assert printed["primary"]["p"] == change["welch_t_p"]
    text = runner.invoke(app, _args(files, "--protocol", "protocols/kim2009.toml")).stdout
    assert text.splitlines()[0].startswith("primary: Change in ALSFRS-R over follow-up")


def test_options_reach_the_settings(files):
    outcome = runner.invoke(
        app, _args(files, "--json", "--follow-up-days", "60", "--pre-slope", "onset")
    )
    assert outcome.exit_code == 0, outcome.output
    settings = json.loads(outcome.stdout)["settings"]
    assert settings["follow_up_days"] == 60
    assert settings["pre_slope"] == "onset"


def test_protocol_sets_the_follow_up_window_from_its_visit_windows(files):
    from pathlib import Path

    kim2009 = Path(__file__).parents[2] / "protocols" / "kim2009.toml"
    outcome = runner.invoke(app, _args(files, "--json", "--protocol", str(kim2009)))
    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    # FU3: day 91, -7/+7 days
    assert printed["settings"]["follow_up_days"] == 98
    assert printed["settings"]["time_point_window_days"] == [84, 98]
    assert printed["settings"]["follow_up_visit"] == "FU3"
    both = runner.invoke(
        app, _args(files, "--json", "--protocol", str(kim2009), "--follow-up-days", "90")
    )
    assert both.exit_code == 2
    assert "not both" in both.output
    missing = runner.invoke(app, _args(files, "--json", "--protocol", str(files / "none.toml")))
    assert missing.exit_code == 2
    assert "file not found" in missing.output


def test_bad_option_value(files):
    outcome = runner.invoke(app, _args(files, "--pre-slope", "linear"))
    assert outcome.exit_code == 2
    assert "pre_slope" in outcome.stderr


def test_out_writes_tables_and_figures(files, tmp_path):
    out = tmp_path / "result"
    outcome = runner.invoke(app, _args(files, "--out", str(out)))
    assert outcome.exit_code == 0, outcome.output
    names = {p.name for p in out.iterdir()}
    assert {
        "subject_slopes.csv",
        "arm_summary.csv",
        "tests.csv",
        "responders.csv",
        "responder_tests.csv",
        "mixed_model.csv",
        "exclusions.csv",
        "analysis.json",
        "trajectories.png",
        "trajectories.pdf",
        "paired_slopes.png",
        "paired_slopes.pdf",
    } <= names
    slopes = pd.read_csv(out / "subject_slopes.csv")
    assert len(slopes) == 44
    tests = pd.read_csv(out / "tests.csv")
    assert set(tests["test"]) == {"paired t", "Wilcoxon signed-rank", "Welch t", "Mann-Whitney U"}
    assert (out / "trajectories.png").stat().st_size > 10_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".alstrial")]


def test_out_removes_stale_files_of_an_earlier_run(files, tmp_path):
    out = tmp_path / "result"
    out.mkdir()
    (out / "cafs.csv").write_text("stale\n")  # this cohort has no deaths: no CAFS
    (out / "notes.txt").write_text("the user's own file\n")
    outcome = runner.invoke(app, _args(files, "--out", str(out)))
    assert outcome.exit_code == 0, outcome.output
    assert not (out / "cafs.csv").exists()
    assert (out / "notes.txt").exists()


def test_bad_rows_exit_2_and_are_all_listed(files, tmp_path):
    subjects = (files / "subjects.csv").read_text().splitlines()
    subjects[3] = subjects[3].replace("treated", "active")
    visits = (files / "visits.csv").read_text().splitlines()
    visits[5] = visits[5].rsplit(",", 1)[0] + ",55"
    visits.append("NOBODY,10,30")
    (tmp_path / "subjects.csv").write_text("\n".join(subjects) + "\n")
    (tmp_path / "visits.csv").write_text("\n".join(visits) + "\n")
    out = tmp_path / "out"
    outcome = runner.invoke(app, _args(tmp_path, "--out", str(out), "--json"))
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert "subjects.csv, line 4, column arm" in outcome.stderr
    assert "visits.csv, line 6, column alsfrs_r_total" in outcome.stderr
    assert f"visits.csv, line {len(visits)}, column subject_id" in outcome.stderr
    assert not out.exists()  # nothing half-written


def test_summary_is_printed_without_options(files):
    outcome = runner.invoke(app, _args(files))
    assert outcome.exit_code == 0, outcome.output
    assert "mixed model (treated): slope change" in outcome.stdout
    assert "30.4375" in outcome.stdout


@pytest.mark.slow
def test_registry_controls(files, tmp_path):
    from alstrial.registry.synth import synthesize, write_proact

    write_proact(synthesize(1200, 3), tmp_path / "registry")
    subjects = pd.read_csv(files / "subjects.csv")
    visits = pd.read_csv(files / "visits.csv")
    treated = subjects[subjects["arm"] == "treated"]
    treated.to_csv(tmp_path / "subjects.csv", index=False)
    visits[visits["subject_id"].isin(treated["subject_id"])].to_csv(
        tmp_path / "visits.csv", index=False
    )
    outcome = runner.invoke(
        app, _args(tmp_path, "--registry", str(tmp_path / "registry"), "--json")
    )
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert document["arms"]["control"]["n"] > 0
    assert document["matching"] is not None
    assert all("SYN" in s["subject_id"] for s in document["subjects"] if s["arm"] == "control")
    # the trial's own controls and registry controls are never mixed
    mixed = runner.invoke(app, _args(files, "--registry", str(tmp_path / "registry")))
    assert mixed.exit_code == 2
    assert "already has control subjects" in mixed.stderr


def test_registry_folder_problems_exit_2(files, tmp_path):
    subjects = pd.read_csv(files / "subjects.csv")
    treated = subjects[subjects["arm"] == "treated"]
    treated.to_csv(tmp_path / "subjects.csv", index=False)
    visits = pd.read_csv(files / "visits.csv")
    visits[visits["subject_id"].isin(treated["subject_id"])].to_csv(
        tmp_path / "visits.csv", index=False
    )
    for folder in (tmp_path / "missing", tmp_path):
        outcome = runner.invoke(app, _args(tmp_path, "--registry", str(folder)))
        assert outcome.exit_code == 2
        assert outcome.stderr.startswith("error: registry")


@pytest.mark.parametrize(("column", "value"), [("day", "1e23"), ("day", "9223372036854775808")])
def test_a_day_beyond_any_study_axis_is_a_row_error_not_a_traceback(files, tmp_path, column, value):
    visits = pd.read_csv(files / "visits.csv", dtype=str)
    visits.loc[3, column] = value
    visits.to_csv(tmp_path / "visits.csv", index=False)
    outcome = runner.invoke(
        app,
        [
            "analyse",
            "--subjects",
            str(files / "subjects.csv"),
            "--visits",
            str(tmp_path / "visits.csv"),
            "--json",
        ],
    )
    assert outcome.exit_code == 2, outcome.output
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit)
    assert "visits.csv" in outcome.output
    assert "line 5" in outcome.output
    assert "within +-36525" in outcome.output

"""``alstrial analyse ... --out DIR --report`` writes the report beside the analysis files."""

from __future__ import annotations

from support.synthetic_cohort import kim_like_cohort
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.registry.synth import synthesize, write_proact


def run_analyse(folder, n_control: int, *options: str):
    """Write a Kim-like cohort into ``folder`` and run ``alstrial analyse`` on it."""
    subjects, visits = kim_like_cohort(seed=6, n_treated=12, n_control=n_control)
    subjects.to_csv(folder / "subjects.csv", index=False)
    visits.to_csv(folder / "visits.csv", index=False)
    files = ["--subjects", str(folder / "subjects.csv"), "--visits", str(folder / "visits.csv")]
    return CliRunner().invoke(app, ["analyse", *files, *options])


def test_analyse_with_registry_writes_the_report(tmp_path):
    write_proact(synthesize(800, seed=2), tmp_path / "registry")
    out = tmp_path / "out"
    result = run_analyse(
        tmp_path, 0, "--registry", str(tmp_path / "registry"), "--out", str(out), "--report"
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Covariate balance before and after matching" in html


def test_report_without_out_is_refused(tmp_path):
    result = run_analyse(tmp_path, 4, "--report")
    assert result.exit_code == 2
    assert "--report needs --out" in result.output
    assert not (tmp_path / "out").exists()

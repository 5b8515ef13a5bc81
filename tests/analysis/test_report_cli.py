"""``alstrial analyse ... --out DIR --report`` writes the report beside the analysis files."""

from __future__ import annotations

from typer.testing import CliRunner

from alstrial.analysis.synthetic import kim_like_cohort
from alstrial.cli import app
from alstrial.registry.synth import synthesize, write_proact


def test_analyse_with_registry_writes_the_report(tmp_path):
    subjects, visits = kim_like_cohort(seed=6, n_treated=12, n_control=0)
    subjects.to_csv(tmp_path / "subjects.csv", index=False)
    visits.to_csv(tmp_path / "visits.csv", index=False)
    write_proact(synthesize(800, seed=2), tmp_path / "registry")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "analyse",
            "--subjects",
            str(tmp_path / "subjects.csv"),
            "--visits",
            str(tmp_path / "visits.csv"),
            "--registry",
            str(tmp_path / "registry"),
            "--out",
            str(out),
            "--report",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Covariate balance before and after matching" in html


def test_report_without_out_is_refused(tmp_path):
    subjects, visits = kim_like_cohort(seed=6, n_treated=4, n_control=4)
    subjects.to_csv(tmp_path / "subjects.csv", index=False)
    visits.to_csv(tmp_path / "visits.csv", index=False)
    result = CliRunner().invoke(
        app,
        [
            "analyse",
            "--subjects",
            str(tmp_path / "subjects.csv"),
            "--visits",
            str(tmp_path / "visits.csv"),
            "--report",
        ],
    )
    assert result.exit_code == 2
    assert "--report needs --out" in result.output

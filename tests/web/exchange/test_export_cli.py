"""``alstrial export``: unknown trial or site is a clear error (exit 2, nothing written); a
trial without subjects still gives well-formed, valid files."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.exchange.odm import validate_odm
from alstrial.exchange.sdtm_spec import column_names


def test_unknown_trial_or_site_is_refused(kim_trial, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["export", "sdtm", "--trial", "nope", "--out", str(tmp_path / "a")])
    assert result.exit_code == 2
    assert "no trial 'nope'" in result.output
    assert "kim2009" in result.output
    result = runner.invoke(
        app, ["export", "csv", "--trial", "kim2009", "--site", "atlantis", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no site 'atlantis'" in result.output
    assert not (tmp_path / "a").exists()


def test_empty_trial_gives_valid_files(kim_trial, tmp_path):
    runner = CliRunner()
    out = tmp_path / "sdtm"
    command = ["export", "sdtm", "--trial", "kim2009", "--out", str(out), "--xpt"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    dm = pd.read_csv(out / "dm.csv")
    assert dm.empty
    assert list(dm.columns) == column_names("DM")
    assert (out / "qs.xpt").exists()
    odm = tmp_path / "kim.xml"
    result = runner.invoke(app, ["export", "odm", "--trial", "kim2009", "--out", str(odm)])
    assert result.exit_code == 0, result.output
    assert validate_odm(odm) == []
    dictionary = tmp_path / "dictionary.csv"
    result = runner.invoke(
        app, ["export", "dictionary", "--trial", "kim2009", "--out", str(dictionary)]
    )
    assert result.exit_code == 0, result.output
    assert {"alsfrs_r", "adverse_events", "administration"} <= set(pd.read_csv(dictionary)["form"])

"""``alstrial randomisation generate``: the dry run file, reproducible, atomic on error."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from alstrial.cli import app

MSC_RCT = Path(__file__).resolve().parents[2] / "protocols" / "msc_rct.toml"
KIM = MSC_RCT.with_name("kim2009.toml")


def _run(*args):
    return CliRunner().invoke(app, ["randomisation", "generate", *map(str, args)])


def test_same_seed_same_file_and_one_row_per_subject_per_stratum(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    for out, seed in ((a, 7), (b, 7), (c, 8)):
        result = _run("--protocol", MSC_RCT, "--subjects", 20, "--seed", seed, "--out", out)
        assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    rows = list(csv.DictReader(a.open()))
    assert list(rows[0]) == ["randomisation_number", "stratum", "block", "arm"]
    assert Counter(r["stratum"] for r in rows) == {
        "bulbar/slow": 20,
        "bulbar/fast": 20,
        "non_bulbar/slow": 20,
        "non_bulbar/fast": 20,
    }
    assert {r["arm"] for r in rows} == {"MSC", "SHAM"}
    assert len({r["randomisation_number"] for r in rows}) == 80


def test_refusals_exit_2_and_write_nothing(tmp_path):
    out = tmp_path / "list.csv"
    result = _run("--protocol", KIM, "--subjects", 5, "--seed", 1, "--out", out)
    assert result.exit_code == 2
    assert "no [randomisation] section" in result.output
    result = _run("--protocol", MSC_RCT, "--subjects", 1000, "--seed", 1, "--out", out)
    assert result.exit_code == 2
    assert "--subjects" in result.output
    assert list(tmp_path.iterdir()) == []

"""``alstrial protocol check``: prints the schedule; a broken file exits 1 naming file and key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alstrial.cli import app

REPO = Path(__file__).resolve().parents[2]
KIM = REPO / "protocols" / "kim2009.toml"
MAZZINI = REPO / "protocols" / "mazzini2003.toml"
runner = CliRunner()


def check(path: Path):
    # A wide terminal so that rich does not wrap the table cells the tests look for.
    return runner.invoke(app, ["protocol", "check", str(path)], env={"COLUMNS": "240"})


def test_kim_schedule_is_printed():
    result = check(KIM)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for code in ("SCR", "LI0", "LI1", "HARV1", "HARV2", "INJ1", "INJ2", "FU2", "FU3"):
        assert f" {code} " in out
    assert "lead_in / RUN-IN" in out
    assert "treatment / TREATMENT" in out
    assert "-68 to -54" in out  # LI1: day -61, window -7/+7
    assert "24 to 28" in out  # INJ2: day 26, window -2/+2
    assert "first_administration" in out
    assert "Route: intrathecal" in out
    assert "Administrations: 2, 26 days apart, at INJ1, INJ2" in out
    assert "Dose (per_kg): 1 x 10^6 cells/kg (allowed 0.9 x 10^6 to 1.1 x 10^6)" in out
    assert f"{KIM}: OK (9 visits)" in out


def test_json_output():
    result = runner.invoke(app, ["protocol", "check", str(MAZZINI), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["protocol"]["slug"] == "mazzini2003"
    assert data["protocol"]["interventions"]["route"]["name"] == "intraspinal"
    assert [row["visit"] for row in data["schedule"]][:3] == ["SCR", "HARV", "IMPL"]
    assert data["schedule"][2]["administration"] == 1


def test_schedule_rows_are_in_day_order():
    out = check(KIM).stdout
    positions = [out.index(f" {code} ") for code in ("SCR", "LI0", "INJ1", "FU3")]
    assert positions == sorted(positions)


def test_mazzini_summary():
    result = check(MAZZINI)
    assert result.exit_code == 0, result.output
    assert "Route: intraspinal" in result.stdout
    assert "µl/min" in result.stdout
    assert "posterior iliac crest" in result.stdout
    assert "2 ml autologous cerebrospinal fluid" in result.stdout
    assert "60 x 10^6 cells (allowed 10 x 10^6 to 120 x 10^6)" in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        (
            'name = "intrathecal"',
            'name = "oral"',
            "interventions.route.name",
            "unknown value 'oral'",
        ),
        (
            'forms = ["vitals", "conmed", "adverse_events", "harvest"]',
            'forms = ["vitals", "conmed", "adverse_event", "harvest"]',
            "phases[1].visits[3].forms[2]",
            "unknown value 'adverse_event'",
        ),
        ("age_min_years = 20", "age_min_years = 80", "eligibility.age_min_years", "greater than"),
        ('version = "1.0"\n', "", "trial.version", "required key is missing"),
        ("day = -61", 'day = "-61"', "phases[1].visits[1].day", "must be an integer"),
    ],
)
def test_broken_file_exits_1_naming_file_and_key(tmp_path, old, new, key, reason):
    path = tmp_path / "broken.toml"
    text = KIM.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = check(path)
    assert result.exit_code == 1
    assert f"error: {path}: {key}: " in result.stderr
    assert reason in result.stderr
    assert "nothing loaded" in result.stderr
    assert "Visit schedule" not in result.stdout


def test_every_problem_is_listed(tmp_path):
    path = tmp_path / "two.toml"
    text = KIM.read_text().replace('name = "intrathecal"', 'name = "oral"')
    # SCR and LI0 (the first two visits with window_after_days = 7) now reach 40 days ahead.
    text = text.replace("window_after_days = 7\nforms", "window_after_days = 40\nforms", 2)
    path.write_text(text)
    result = check(path)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    # Problems with single keys come first, then the rules spanning sections (the schedule).
    assert errors == [
        f"error: {path}: interventions.route.name: unknown value 'oral'; expected one of "
        "intrathecal, intraspinal, intravenous, intramuscular",
        f"error: {path}: phases[0].visits[0].window_after_days: window of visit SCR "
        "(days -119 to -65) overlaps the window of the next visit LI0 (days -96 to -51)",
        f"error: {path}: phases[1].visits[0].window_after_days: window of visit LI0 "
        "(days -96 to -51) overlaps the window of the next visit LI1 (days -68 to -54)",
    ]
    assert "3 problem(s)" in result.stderr


def test_missing_and_unparsable_files(tmp_path):
    result = check(tmp_path / "none.toml")
    assert result.exit_code == 1
    assert "file not found" in result.stderr
    path = tmp_path / "bad.toml"
    path.write_text("[trial\nslug = 1\n")
    result = check(path)
    assert result.exit_code == 1
    assert f"{path}: (file): not valid TOML" in result.stderr
    assert "line 1" in result.stderr


def test_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "alstrial.cli", "protocol", "check", str(KIM)],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "INJ2" in result.stdout


def test_list_shipped_protocols():
    result = runner.invoke(app, ["protocol", "list"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "kim2009" in result.stdout
    assert "mazzini2003" in result.stdout
    assert "intraspinal" in result.stdout


def test_list_exits_1_on_a_broken_shipped_file(tmp_path):
    (tmp_path / "bad.toml").write_text(KIM.read_text().replace('name = "intrathecal"', "name = 3"))
    result = runner.invoke(
        app, ["protocol", "list"], env={"COLUMNS": "240", "ALSTRIAL_PROTOCOLS": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "interventions.route.name: must be a string, got an integer" in result.stderr

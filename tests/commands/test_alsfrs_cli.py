"""``alstrial alsfrs``: the documented JSON (docs/interfaces.md, 'Command line') and exit 2 naming a
bad item."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alstrial.cli import app

runner = CliRunner()
KEYS = {
    "total",
    "bulbar",
    "fine_motor",
    "gross_motor",
    "respiratory",
    "kings_stage",
    "kings_flags",
    "mitos_stage",
}


def run(*args: str):
    return runner.invoke(app, ["alsfrs", *args])


def test_all_normal_json():
    result = run(*["4"] * 12, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert data == {
        "total": 48,
        "bulbar": 12,
        "fine_motor": 12,
        "gross_motor": 12,
        "respiratory": 12,
        "kings_stage": "1",
        "kings_flags": ["no_region_by_alsfrs"],
        "mitos_stage": 0,
    }


def test_hand_worked_visit_with_gastrostomy_and_onset():
    # Items 1..12: 3 4 2 | 1 (5b=)2 3 | 2 1 0 | 4 3 4 -> subscores 9, 6, 3, 11; total 29.
    # King's: no respiratory failure, item 5b used -> 4A. MiToS: walking 1 -> movement lost;
    # speech 3 so communicating kept; swallowing 2, dyspnea 4, resp. insufficiency 4 -> stage 1.
    # dFS = (48 - 29) / 19 months = 1.0 point/month.
    args = ["3", "4", "2", "1", "2", "3", "2", "1", "0", "4", "3", "4"]
    result = run(*args, "--gastrostomy", "--onset-months", "19", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS | {"delta_fs"}
    assert (data["total"], data["bulbar"], data["fine_motor"]) == (29, 9, 6)
    assert (data["gross_motor"], data["respiratory"]) == (3, 11)
    assert data["kings_stage"] == "4A"
    assert data["kings_flags"] == []
    assert data["mitos_stage"] == 1
    assert data["delta_fs"] == pytest.approx(1.0)


def test_onset_months_gives_delta_fs():
    result = run(*["3"] * 12, "--onset-months", "18", "--json")
    data = json.loads(result.stdout)
    assert data["delta_fs"] == pytest.approx((48 - 36) / 18, abs=1e-4)


def test_without_gastrostomy_item_5_is_5a():
    # Item 5 = 3 without a gastrostomy involves the upper limb (King's 2 with bulbar 3).
    result = run("3", "4", "4", "4", "3", *["4"] * 7, "--json")
    data = json.loads(result.stdout)
    assert data["kings_stage"] == "2"


def test_text_output():
    result = run(*["4"] * 12, "--onset-months", "12")
    assert result.exit_code == 0
    assert "48 / 48" in result.stdout
    assert "no_region_by_alsfrs" in result.stdout
    assert "dFS" in result.stdout


@pytest.mark.parametrize(
    ("position", "value", "message"),
    [
        (1, "5", "item 1 (speech) must be between 0 and 4, got 5"),
        (12, "5", "item 12 (respiratory_insufficiency) must be between 0 and 4, got 5"),
        (5, "9", "item 5a (cutting_without_gastrostomy)"),
        (8, "-1", "item 8 (walking) must be between 0 and 4, got -1"),
        (3, "2.5", "item 3 (swallowing)"),
        (10, "x", "item 10 (dyspnea)"),
    ],
)
def test_bad_item_exits_2_naming_the_item(position, value, message):
    args = ["4"] * 12
    args[position - 1] = value
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_item_5_with_gastrostomy_names_5b():
    args = ["4"] * 12
    args[4] = "5"
    result = run(*args, "--gastrostomy")
    assert result.exit_code == 2
    assert "item 5b (cutting_with_gastrostomy)" in result.stderr


@pytest.mark.parametrize("count", [11, 13])
def test_wrong_number_of_items(count):
    result = run(*["4"] * count)
    assert result.exit_code == 2
    assert f"expected 12 item scores, got {count}" in result.stderr


def test_unknown_option_is_named():
    result = run(*["4"] * 12, "--gastrostomie")
    assert result.exit_code == 2
    assert "no such option: --gastrostomie" in result.stderr


@pytest.mark.parametrize("months", ["0", "-3"])
def test_onset_months_must_be_positive(months):
    result = run(*["4"] * 12, "--onset-months", months)
    assert result.exit_code == 2
    assert "months since onset must be > 0" in result.stderr


def test_installed_command_in_a_subprocess():
    """The real entry point, run as a separate process."""
    executable = Path(sys.executable).with_name("alstrial")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "alstrial.cli"]
    ok = subprocess.run(
        [*command, "alsfrs", *["4"] * 12, "--json"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total"] == 48
    bad = subprocess.run(
        [*command, "alsfrs", *["4"] * 11, "5"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert "item 12 (respiratory_insufficiency)" in bad.stderr


def test_module_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "alstrial.cli", "alsfrs", *["4"] * 12, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == KEYS

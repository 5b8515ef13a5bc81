"""``alstrial simulate`` (docs/interfaces.md, 'Simulation output' contract)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.simulation.trials import DRAW_SCHEME

runner = CliRunner()
JSON_KEYS = {
    "design",
    "trials",
    "seed",
    "effect",
    "engine",
    "rejection_rate",
    "rejection_rate_ci",
    "mean_estimate",
    "seconds",
}


def simulate(*args: str):
    return runner.invoke(app, ["simulate", *args])


def test_json_has_the_contract_keys_and_the_per_trial_csv(tmp_path):
    rows = tmp_path / "trials.csv"
    result = simulate(
        "kim2009", "--trials", "300", "--seed", "4", "--json", "--per-trial", str(rows)
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= JSON_KEYS
    assert (out["design"], out["trials"], out["seed"], out["effect"], out["engine"]) == (
        "kim2009",
        300,
        4,
        0.0,
        "vectorized",
    )
    low, high = out["rejection_rate_ci"]
    assert low <= out["rejection_rate"] <= high
    assert out["draw_scheme"] == DRAW_SCHEME  # the same seed gives these trials under it
    table = pd.read_csv(rows)
    assert list(table.columns) == ["trial", "estimate", "p_value", "reject"]
    assert list(table["trial"]) == list(range(300))
    assert set(table["reject"]) <= {0, 1}
    assert table["reject"].mean() == pytest.approx(out["rejection_rate"])
    assert table["estimate"].mean() == pytest.approx(out["mean_estimate"])
    assert ((table["p_value"] < 0.05).astype(int) == table["reject"]).all()


def test_per_trial_rows_are_the_same_for_both_engines(tmp_path):
    files = {}
    for engine in ("vectorized", "reference"):
        files[engine] = tmp_path / f"{engine}.csv"
        result = simulate(
            "randomized_parallel",
            "--trials",
            "4",
            "--seed",
            "9",
            "--effect",
            "0.5",
            "--engine",
            engine,
            "--per-trial",
            str(files[engine]),
            "--json",
        )
        assert result.exit_code == 0, result.output
    fast, slow = (pd.read_csv(files[e]) for e in ("vectorized", "reference"))
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, atol=1e-9, rtol=0)


def test_text_output_names_the_interval_method():
    result = simulate("randomized_parallel", "--trials", "250", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "type I error" in result.stdout
    assert "95% CI (Wilson)" in result.stdout


def test_bad_inputs_exit_2_with_a_message_naming_them(tmp_path):
    result = simulate("no_such_design")
    assert result.exit_code == 2
    assert "no design file 'no_such_design'" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\n[arms]\ntreated = 1\n[schedule]\nfollow_up_visits = [1]\n'
        '[analysis]\nprimary = "paired_slope_t"\n'
    )
    result = simulate(str(bad))
    assert result.exit_code == 2
    assert "arms.treated" in result.output
    assert not (tmp_path / "out.csv").exists()
    result = simulate("kim2009", "--engine", "turbo", "--per-trial", str(tmp_path / "out.csv"))
    assert result.exit_code == 2
    assert "--engine" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_power_curve_table_and_plot(tmp_path):
    table, figure = tmp_path / "curve.csv", tmp_path / "curve.png"
    result = simulate(
        "randomized_parallel",
        "--model",
        "linear",
        "--curve",
        "n",
        "--values",
        "20,40",
        "--trials",
        "100",
        "--effect",
        "0.5",
        "--curve-table",
        str(table),
        "--plot",
        str(figure),
        "--json",
    )
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]
    assert [p["n_treated"] for p in points] == [20, 40]
    assert list(pd.read_csv(table)["value"]) == [20, 40]
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = simulate("kim2009", "--curve", "n")
    assert result.exit_code == 2
    assert "--values" in result.output


def test_calibrate_from_a_pro_act_folder(tmp_path):
    registry = tmp_path / "registry"
    made = runner.invoke(
        app, ["registry", "synth", "--patients", "300", "--seed", "5", "--out", str(registry)]
    )
    assert made.exit_code == 0, made.output
    result = simulate("kim2009", "--trials", "250", "--calibrate", str(registry), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model"] == f"calibrated from {registry}"
    # The parameters used are the ones estimated from the registry, not the literature's.
    from alstrial.registry.proact import read_registry
    from alstrial.simulation.natural_history import calibrate

    expected = calibrate(read_registry(registry))
    assert out["model_parameters"]["slope_mean"] == pytest.approx(expected.slope_mean)
    missing = simulate("kim2009", "--calibrate", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "is not a folder" in missing.output


def test_json_gives_edland_where_it_applies(tmp_path):
    plain = tmp_path / "plain.toml"
    plain.write_text(
        'name = "plain"\n[arms]\ntreated = 40\ncontrol = 40\ncontrol_source = "randomized"\n'
        "[schedule]\nfollow_up_visits = [1, 2, 3, 4, 5, 6]\n"
        '[analysis]\nprimary = "welch_slope"\n'
    )
    result = simulate(
        str(plain), "--model", "linear", "--trials", "250", "--effect", "0.4", "--json"
    )
    assert result.exit_code == 0, result.output
    closed = json.loads(result.stdout)["closed_form"]
    from alstrial.simulation.designs import load_design
    from alstrial.simulation.edland import edland_power
    from alstrial.simulation.natural_history import NaturalHistory

    assert closed["edland_power"] == pytest.approx(
        edland_power(load_design(plain), NaturalHistory.linear(), 0.4)
    )
    kim = json.loads(simulate("kim2009", "--trials", "250", "--json").stdout)["closed_form"]
    assert kim["applies"] is False
    assert "the natural-history model is not linear" in kim["why_not"]


def test_a_multi_arm_design_prints_each_comparison_and_its_rule():
    out = simulate("dose_ranging", "--trials", "20", "--jobs", "1", "--model", "linear")
    assert out.exit_code == 0, out.output
    assert "dose 1 vs control, dunnett" in out.output
    assert "any dose arm, dunnett" in out.output
    run = ("dose_ranging", "--trials", "20", "--jobs", "1", "--json", "--effect", "0.5")
    as_json = json.loads(simulate(*run).output)
    assert as_json["multiplicity"]["comparisons"] == ["dose 1", "dose 2"]
    assert as_json["secondary"][0]["comparison"] == "dose 2"

"""Synthetic PRO-ACT registry: written files read back exactly, items consistent with totals,
cohort statistics within docs/domain.md, 'Natural history', calibration recovers the generating
model."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.registry.proact import read_registry
from alstrial.registry.proact_columns import (
    ALSFRS_COLUMNS,
    ALSHISTORY_COLUMNS,
    DEATHDATA_COLUMNS,
    DEMOGRAPHICS_COLUMNS,
    FVC_COLUMNS,
)
from alstrial.registry.synth import FILE_NAMES, synthesize, write_proact
from alstrial.registry.synth_errors import original_respiratory
from alstrial.simulation.natural_history import (
    NaturalHistory,
    calibrate,
    literature_range_violations,
)

BULBAR = ["Q1_Speech", "Q2_Salivation", "Q3_Swallowing"]
ITEMS = [c for c in ALSFRS_COLUMNS if c.startswith(("Q", "R_")) and c != "Q10_Respiratory"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    synthetic = synthesize(5000, seed=2026)
    folder = tmp_path_factory.mktemp("synthetic")
    write_proact(synthetic, folder)
    return synthetic, folder, read_registry(folder)


def test_files_have_exactly_the_proact_columns(written):
    _, folder, _ = written
    expected = {
        "alsfrs": ALSFRS_COLUMNS,
        "alshistory": ALSHISTORY_COLUMNS,
        "demographics": DEMOGRAPHICS_COLUMNS,
        "deathdata": DEATHDATA_COLUMNS,
        "fvc": FVC_COLUMNS,
    }
    for form, name in FILE_NAMES.items():
        header = (folder / name).read_text().splitlines()[0].split(",")
        assert header == list(expected[form]), name
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILE_NAMES.values())


def test_items_are_integers_0_4_summing_to_the_total_with_one_of_5a_5b(written):
    synthetic, _, _ = written
    form = synthetic.forms["alsfrs"]
    items = form[ITEMS].astype("float")
    five = items[["Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy"]]
    assert (five.notna().sum(axis=1) == 1).all()
    scored = items.stack().dropna()  # without the empty one of 5a/5b
    assert scored.between(0, 4).all()
    assert (scored == np.round(scored)).all()
    np.testing.assert_array_equal(items.sum(axis=1), form["ALSFRS_R_Total"].astype(float))
    assert form["ALSFRS_R_Total"].between(0, 48).all()
    assert form["Q10_Respiratory"].isna().all()
    assert form["ALSFRS_Total"].isna().all()


def test_reading_back_recovers_scores_and_subjects_exactly(written):
    synthetic, _, registry = written
    assert registry.rejected.empty
    form = synthetic.forms["alsfrs"]
    a = registry.alsfrs
    assert len(a) == len(form)
    np.testing.assert_array_equal(a["subject_id"], form["subject_id"])
    np.testing.assert_array_equal(a["day"], form["ALSFRS_Delta"])
    np.testing.assert_array_equal(a["total"], form["ALSFRS_R_Total"].astype(float))
    np.testing.assert_array_equal(a["speech"], form["Q1_Speech"].astype(float))
    np.testing.assert_array_equal(
        a["cutting_with_gastrostomy"], form["Q5b_Cutting_with_Gastrostomy"].astype(float)
    )
    assert (a["scale"] == "R").all()
    s = registry.subjects.set_index("subject_id").loc[synthetic.subject_ids]
    p = synthetic.patients
    demo = synthetic.forms["demographics"]
    age = pd.to_numeric(demo["Age"]).fillna(-demo["Date_of_Birth"] / 365.25)
    np.testing.assert_array_equal(s["age_years"], age)
    np.testing.assert_array_equal(s["sex"] == "M", p.male)
    np.testing.assert_array_equal(s["onset_site"] == "bulbar", p.bulbar_onset)
    np.testing.assert_array_equal(s["onset_day"], synthetic.forms["alshistory"]["Onset_Delta"])
    deaths = synthetic.forms["deathdata"]
    np.testing.assert_array_equal(s["died"], deaths["Subject_Died"] == "Yes")
    np.testing.assert_array_equal(s["death_day"], pd.to_numeric(deaths["Death_Days"]))
    pct = synthetic.forms["fvc"].filter(like="pct_of_Normal").max(axis=1)
    np.testing.assert_array_equal(registry.fvc["fvc_percent"], pct)


def test_every_visit_is_before_death_and_onset_before_diagnosis(written):
    _, _, registry = written
    s = registry.subjects.set_index("subject_id")
    last_visit = registry.alsfrs.groupby("subject_id")["day"].max()
    died = s.loc[s["died"]]
    assert (last_visit.loc[died.index] < died["death_day"]).all()
    assert (s["onset_day"] < s["diagnosis_day"]).all()
    assert (s["diagnosis_day"] <= 0).all()
    assert (registry.alsfrs.groupby("subject_id")["day"].min() == 0).all()


def test_onset_site_decides_which_items_are_lost_first(written):
    _, _, registry = written
    a = registry.alsfrs.merge(registry.subjects[["subject_id", "onset_site"]], on="subject_id")
    early = a.loc[a["total"].between(38, 44)]
    bulbar_loss = 12 - early[["speech", "salivation", "swallowing"]].sum(axis=1)
    limb_items = ["handwriting", "dressing_hygiene", "walking", "climbing_stairs"]
    limb_loss = 16 - early[limb_items].sum(axis=1)
    by_site = pd.DataFrame({"bulbar": bulbar_loss, "limb": limb_loss, "site": early["onset_site"]})
    means = by_site.groupby("site").mean()
    assert means.loc["bulbar", "bulbar"] > 2 * means.loc["bulbar", "limb"]
    assert means.loc["spinal", "limb"] > 2 * means.loc["spinal", "bulbar"]


def test_gastrostomy_and_ventilation_appear_late_and_items_are_roughly_monotone(written):
    _, _, registry = written
    a = registry.alsfrs
    gastrostomy = a["cutting_with_gastrostomy"].notna()
    niv = a["respiratory_insufficiency"] < 4
    assert 0 < gastrostomy.mean() < 0.2
    assert 0 < niv.mean() < 0.3
    # Late: at totals well below the cohort's (earlier in bulbar onset, where swallowing goes
    # first, so the gap is smaller than for ventilation).
    assert a.loc[gastrostomy, "total"].mean() < a.loc[~gastrostomy, "total"].mean() - 5
    assert a.loc[niv, "total"].mean() < a.loc[~niv, "total"].mean() - 8
    # Once placed, a gastrostomy stays: no 5a after a 5b within a subject.
    later_5a = gastrostomy.groupby(a["subject_id"]).cummax() & ~gastrostomy
    assert not later_5a.any()
    # Roughly monotone: visit noise makes items go up now and then (the total's noise SD is
    # 1.7 points against about 1 point/month of decline), but far less often than down, and
    # hardly ever from a subject's first to last visit.
    walking = a.groupby("subject_id")["walking"]
    steps = walking.diff().dropna()
    assert (steps > 0).sum() < 0.5 * (steps < 0).sum()
    assert ((walking.last() - walking.first()) <= 0).mean() > 0.95


def kaplan_meier(time: np.ndarray, event: np.ndarray, at: float) -> float:
    """Kaplan-Meier survival at ``at`` (product-limit, written out for the test)."""
    survival = 1.0
    for t in np.unique(time[event & (time <= at)]):
        at_risk = (time >= t).sum()
        survival *= 1 - (event & (time == t)).sum() / at_risk
    return survival


def test_cohort_statistics_read_back_fall_in_domain_ranges(written):
    synthetic, _, registry = written
    a = registry.alsfrs.loc[registry.alsfrs["day"] <= 365]
    slopes = [
        np.polyfit(g["day"] / DAYS_PER_MONTH, g["total"], 1)[0]
        for _, g in a.groupby("subject_id")
        if len(g) >= 3
    ]
    s = registry.subjects
    first = registry.alsfrs.groupby("subject_id")["total"].first()
    statistics = {
        "slope_mean": np.mean(slopes),
        "slope_sd": np.std(slopes, ddof=1),
        "bulbar_share": (s["onset_site"] == "bulbar").mean(),
        "male_share": (s["sex"] == "M").mean(),
        "age_mean": s["age_years"].mean(),
        "age_sd": s["age_years"].std(),
        "months_since_onset_mean": (-s["onset_day"] / DAYS_PER_MONTH).mean(),
        "baseline_mean": first.mean(),
        "baseline_sd": first.std(),
    }
    assert literature_range_violations(statistics) == []
    # Follow-up (<= 18 months) is too short for the median survival from onset; instead the
    # recorded deaths, censored at the last visit, must reproduce the model's one-year survival.
    last = registry.alsfrs.groupby("subject_id")["day"].max().reindex(s["subject_id"])
    time = np.where(s["died"], s["death_day"], last.to_numpy()) / DAYS_PER_MONTH
    km = kaplan_meier(time, s["died"].to_numpy(), 12.0)
    truth = (synthetic.patients.death_month > 12).mean()
    assert km == pytest.approx(truth, abs=0.03)


def test_calibrate_recovers_the_literature_model_from_the_registry(written):
    _, _, registry = written
    fitted = calibrate(registry)
    truth = NaturalHistory.literature()
    assert fitted.slope_mean == pytest.approx(truth.slope_mean, abs=0.06)
    assert fitted.slope_sd == pytest.approx(truth.slope_sd, abs=0.06)
    assert fitted.noise_sd == pytest.approx(truth.noise_sd, abs=0.1)
    assert fitted.bulbar_share == pytest.approx(truth.bulbar_share, abs=0.02)
    assert fitted.male_share == pytest.approx(truth.male_share, abs=0.02)
    assert fitted.months_since_onset_median == pytest.approx(15.0, rel=0.03)
    assert fitted.survival_scale_months == pytest.approx(truth.survival_scale_months, rel=0.1)


def test_same_seed_same_files_and_another_seed_differs(tmp_path):
    def digest(folder):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_proact(synthesize(300, seed), tmp_path / name)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert (
        digest(tmp_path / "a")["PROACT_ALSFRS.csv"] != digest(tmp_path / "c")["PROACT_ALSFRS.csv"]
    )


def test_registry_synth_command_writes_the_files(tmp_path):
    out = tmp_path / "registry"
    result = CliRunner().invoke(
        app, ["registry", "synth", "--patients", "40", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_NAMES.values())
    assert len(read_registry(out).subjects) == 40
    bad = CliRunner().invoke(
        app, ["registry", "synth", "--patients", "0", "--seed", "3", "--out", str(out)]
    )
    assert bad.exit_code == 2
    assert "--patients" in bad.output


def test_registry_check_command_counts_and_reports(tmp_path):
    write_proact(synthesize(30, 1), tmp_path)
    result = CliRunner().invoke(app, ["registry", "check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "subjects                      30" in result.output
    (tmp_path / "PROACT_FVC.csv").rename(tmp_path / "PROACT_FVC.txt")
    (tmp_path / "PROACT_DEATHDATA.csv").unlink()
    missing = CliRunner().invoke(app, ["registry", "check", str(tmp_path)])
    assert missing.exit_code == 2
    assert "PROACT_DEATHDATA.csv" in missing.output


def test_original_respiratory_item_by_hand():
    # (dyspnea R-1, respiratory insufficiency R-3) -> original Q10 (Cedarbaum 1999 anchors)
    cases = {(4, 4): 4, (3, 4): 3, (2, 4): 2, (0, 4): 2, (4, 3): 1, (1, 1): 1, (2, 0): 0}
    dyspnea, insufficiency = zip(*cases, strict=True)
    assert original_respiratory(dyspnea, insufficiency).tolist() == list(cases.values())


def test_original_scale_subjects_and_injected_errors_are_read_as_such(tmp_path):
    clean = synthesize(1500, seed=8)
    dirty = synthesize(1500, seed=8, original_share=0.25, error_share=0.03)
    write_proact(dirty, tmp_path)
    registry = read_registry(tmp_path)
    # The reader rejects exactly the injected lines, for the injected reason.
    rejected = registry.rejected
    assert set(rejected["file"]) == {"PROACT_ALSFRS.csv"}
    assert sorted(rejected["line"]) == sorted(dirty.injected["line"])
    expected_column = {
        "total_mismatch": "ALSFRS_R_Total",
        "both_5a_5b": "Q5b_Cutting_with_Gastrostomy",
        "decimal_item": "Q1_Speech",
        "out_of_range": "Q2_Salivation",
        "duplicate": "ALSFRS_Delta",
        "conflicting_duplicate": "ALSFRS_Delta",
    }
    joined = rejected.merge(dirty.injected, on="line")
    assert (joined["column"] == joined["kind"].map(expected_column)).all()
    assert set(dirty.injected["kind"]) == set(expected_column)
    # Original-scale subjects: scale, totals 0-40 = the stored ALSFRS_Total, never mixed.
    a = registry.alsfrs
    original = a["subject_id"].isin(dirty.original_subjects)
    assert (a.loc[original, "scale"] == "original").all()
    assert (a.loc[~original, "scale"] == "R").all()
    assert a.loc[original, "total"].between(0, 40).all()
    assert a.loc[original, ["dyspnea", "orthopnea", "respiratory_insufficiency"]].isna().all().all()
    form = dirty.forms["alsfrs"].set_index(np.arange(2, len(dirty.forms["alsfrs"]) + 2))
    stored = form.loc[a.loc[original, "line"], "ALSFRS_Total"].astype(float)
    np.testing.assert_array_equal(a.loc[original, "total"], stored)
    # The blemishes use their own random stream: the clean part is unchanged.
    pd.testing.assert_frame_equal(clean.forms["deathdata"], dirty.forms["deathdata"])
    same = ~clean.forms["alsfrs"]["subject_id"].isin(dirty.original_subjects)
    kept = a.loc[~original].set_index(["subject_id", "day"])["total"]
    clean_rows = clean.forms["alsfrs"].loc[same].set_index(["subject_id", "ALSFRS_Delta"])
    overlap = clean_rows.index.intersection(kept.index)
    assert len(overlap) > 0.9 * len(clean_rows)
    np.testing.assert_array_equal(kept.loc[overlap], clean_rows.loc[overlap, "ALSFRS_R_Total"])


def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    synthetic = synthesize(30, seed=2)
    calls = []
    original_to_csv = pd.DataFrame.to_csv

    def failing_to_csv(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("No space left on device")
        return original_to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_to_csv)
    with pytest.raises(OSError, match="No space"):
        write_proact(synthetic, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_registry_check_lists_problems_by_file_and_column(tmp_path):
    synthetic = synthesize(300, seed=9, error_share=0.05)
    write_proact(synthetic, tmp_path)
    report = tmp_path / "rejected.csv"
    result = CliRunner().invoke(app, ["registry", "check", str(tmp_path), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "problems by file and column:" in result.output
    assert "PROACT_ALSFRS.csv" in result.output
    written = pd.read_csv(report)
    assert list(written.columns) == ["file", "line", "column", "value", "reason"]
    assert sorted(written["line"]) == sorted(synthetic.injected["line"])
    strict = CliRunner().invoke(app, ["registry", "check", str(tmp_path), "--strict"])
    assert strict.exit_code == 1
    assert "rejected row(s) in strict mode" in strict.output

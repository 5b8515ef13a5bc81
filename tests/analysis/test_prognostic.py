"""The prognostic score (PROCOVA): its registry training set, the cross-fitted model against R's
lm (tests/reference/prognostic/prognostic_r.R) and the scores of a trial's subjects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.ancova import fit_ancova
from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.mmrm import fit_mmrm
from alstrial.analysis.prognostic import (
    PROGNOSTIC_COVARIATES,
    calibration,
    fit_prognostic_model,
    prognostic_score,
    registry_training_set,
)
from alstrial.analysis.randomised import analyse_randomised
from alstrial.analysis.registry_pool import control_pool
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.errors import FieldError
from alstrial.registry.proact import read_registry
from alstrial.registry.synth import synthesize, write_proact

HERE = Path(__file__).parents[1] / "reference" / "prognostic"
R = json.loads((HERE / "prognostic_r.json").read_text())


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry")
    write_proact(synthesize(800, seed=7), folder)
    return read_registry(folder)


@pytest.fixture(scope="module")
def training(registry):
    settings = AnalysisSettings()
    pool = control_pool(registry, 90, settings.follow_up_days, 14, settings.days_per_month)
    return pool, registry_training_set(pool, settings)


def test_training_set_is_the_checked_in_reference(training):
    _, frame = training
    reference = pd.read_csv(HERE / "training.csv")
    assert list(frame["subject_id"]) == list(reference["subject_id"])
    for column in (*PROGNOSTIC_COVARIATES, "outcome", "time_point_day"):
        np.testing.assert_allclose(frame[column].astype(float), reference[column], rtol=1e-12)


def test_outcome_is_the_change_at_the_visit_nearest_the_time_point(training):
    pool, frame = training
    candidates = pool.candidates.set_index("subject_id")
    visits = {sid: group for sid, group in pool.visits.groupby("subject_id")}
    for row in frame.head(40).itertuples():
        own = visits[row.subject_id]
        after = own["day"] - candidates.at[row.subject_id, "index_day"]
        inside = own[(after >= 76) & (after <= 90)]
        nearest = inside.iloc[int(np.argmin(np.abs(after[inside.index] - 90)))]
        assert (
            row.outcome
            == nearest["alsfrs_r_total"] - candidates.at[row.subject_id, "baseline_alsfrs_r"]
        )
    # a patient who died before the time point never trains the model
    died = pool.candidates["death_day"].astype("Float64") <= pool.candidates["index_day"] + 90
    assert not set(pool.candidates.loc[died.fillna(False), "subject_id"]) & set(frame["subject_id"])


def test_cross_fitted_model_matches_r(training):
    _, frame = training
    model = fit_prognostic_model(frame, time_point_days=90)
    reference = pd.read_csv(HERE / "training.csv")
    assert list(model.held_out["fold"]) == list(reference["fold"])
    r_coefficients = R["coefficients"]
    assert model.coefficients["intercept"] == pytest.approx(r_coefficients["(Intercept)"])
    for name in PROGNOSTIC_COVARIATES:
        assert model.coefficients[name] == pytest.approx(r_coefficients[name], rel=1e-8)
    np.testing.assert_allclose(model.held_out["predicted"], R["predicted"], rtol=1e-9)
    assert model.calibration.n == R["n"]
    assert model.calibration.intercept == pytest.approx(R["calibration_intercept"])
    assert model.calibration.slope == pytest.approx(R["calibration_slope"])
    assert model.calibration.r_squared == pytest.approx(R["r_squared"])


def test_held_out_prediction_never_uses_the_patients_own_outcome(training):
    _, frame = training
    model = fit_prognostic_model(frame)
    changed = frame.copy()
    changed.loc[0, "outcome"] += 100.0
    refit = fit_prognostic_model(changed)
    own_fold = model.held_out["fold"] == model.held_out.loc[0, "fold"]
    assert refit.held_out.loc[0, "predicted"] == pytest.approx(model.held_out.loc[0, "predicted"])
    np.testing.assert_allclose(
        refit.held_out.loc[own_fold, "predicted"], model.held_out.loc[own_fold, "predicted"]
    )
    assert not np.allclose(
        refit.held_out.loc[~own_fold, "predicted"], model.held_out.loc[~own_fold, "predicted"]
    )


def test_calibration_of_a_perfect_and_a_shrunk_prediction():
    observed = np.array([-6.0, -3.0, -1.0, 0.0, 2.0])
    perfect = calibration(observed, observed)
    assert (perfect.intercept, perfect.slope, perfect.r_squared) == pytest.approx((0, 1, 1))
    halved = calibration(observed, observed / 2)  # predictions too timid: slope 2
    assert halved.slope == pytest.approx(2.0)
    assert halved.intercept == pytest.approx(0.0, abs=1e-12)


def test_trial_subjects_are_scored_by_the_whole_registry_model(registry):
    subjects, visits = kim_like_cohort(4, n_treated=10, n_control=10)
    subjects.loc[0, "onset_day"] = None  # no disease duration: no score, with the reason
    settings = AnalysisSettings()
    result = prognostic_score(subjects, visits, registry, settings)
    scores = result.by_subject()
    assert list(scores.index) == list(subjects["subject_id"])
    assert np.isnan(scores.iloc[0])
    assert "onset_day" in result.scores.loc[0, "reason"]
    # independent: covariates of subject 1 by hand, times the whole-registry coefficients
    subject = subjects.iloc[1]
    own = visits[visits["subject_id"] == subject["subject_id"]].sort_values("day")
    lead = own[own["day"] <= subject["index_day"]]
    months = (lead["day"] - subject["index_day"]) / settings.days_per_month
    duration = (subject["index_day"] - subject["onset_day"]) / settings.days_per_month
    baseline = float(lead["alsfrs_r_total"].iloc[-1])
    baseline_duration = (lead["day"].iloc[-1] - subject["onset_day"]) / settings.days_per_month
    values = {
        "age_years": subject["age_years"],
        "disease_duration_months": duration,
        "baseline_alsfrs_r": baseline,
        "delta_fs": (48 - baseline) / baseline_duration,
        "lead_in_slope": np.polyfit(months, lead["alsfrs_r_total"], 1)[0],
        "bulbar_onset": float(str(subject["onset_site"]).lower() == "bulbar"),
        "male": float(str(subject["sex"]).upper() in ("M", "MALE")),
    }
    coefficients = result.model.coefficients
    expected = coefficients["intercept"] + sum(coefficients[k] * v for k, v in values.items())
    assert scores.iloc[1] == pytest.approx(expected)
    assert result.to_dict()["model"]["calibration"]["n"] == result.model.calibration.n


def test_a_score_without_lead_in_slope_for_trials_seen_only_at_baseline(registry):
    subjects, visits = kim_like_cohort(4, n_treated=6, n_control=6)
    covariates = tuple(c for c in PROGNOSTIC_COVARIATES if c != "lead_in_slope")
    result = prognostic_score(subjects, visits, registry, covariates=covariates)
    assert "lead_in_slope" not in result.model.coefficients
    assert result.by_subject().notna().all()


def test_bad_options_are_named(training, registry):
    _, frame = training
    with pytest.raises(FieldError, match="folds"):
        fit_prognostic_model(frame, folds=1)
    with pytest.raises(FieldError, match="too few"):
        fit_prognostic_model(frame.head(20))
    subjects, visits = kim_like_cohort(4, n_treated=4, n_control=4)
    with pytest.raises(FieldError, match="not a prognostic covariate: fvc"):
        prognostic_score(subjects, visits, registry, covariates=("fvc",))


def test_ancova_adjusted_for_the_prognostic_score_matches_r(registry):
    # as make_training.py scored them: no lead-in in a randomised trial, time point M6 (day 183)
    balanced = HERE.parent / "randomised" / "balanced"
    data = read_analysis_data(balanced / "subjects.csv", balanced / "visits.csv")
    settings = AnalysisSettings(
        follow_up_days=190, time_point_days=183, time_point_window_before_days=7
    )
    covariates = tuple(c for c in PROGNOSTIC_COVARIATES if c != "lead_in_slope")
    score = prognostic_score(data.subjects, data.visits, registry, settings, covariates)
    reference = pd.read_csv(HERE / "scores_balanced.csv")
    np.testing.assert_allclose(score.scores["prognostic_score"], reference["prognostic_score"])
    adjusted = fit_ancova(data, prognostic_score=score.by_subject())
    expected = R["ancova_procova"]
    assert adjusted.prognostic_score
    assert adjusted.estimate == pytest.approx(expected["estimate"], rel=1e-9)
    assert adjusted.se == pytest.approx(expected["se"], rel=1e-9)
    assert adjusted.df == expected["df"]
    assert adjusted.p == pytest.approx(expected["p"], rel=1e-9)
    assert sum(adjusted.n.values()) == expected["n"]
    assert fit_ancova(data).se == pytest.approx(R["ancova_unadjusted_se"], rel=1e-9)
    without_one = score.by_subject().drop(data.subjects["subject_id"].iloc[0])
    with pytest.raises(FieldError, match="has no prognostic score"):
        fit_ancova(data, prognostic_score=without_one)


def test_mmrm_adjusted_for_the_prognostic_score_matches_nlme_and_emmeans():
    balanced = HERE.parent / "randomised" / "balanced"
    data = read_analysis_data(balanced / "subjects.csv", balanced / "visits.csv")
    reference = pd.read_csv(HERE / "scores_balanced.csv")
    score = reference.set_index("subject_id")["prognostic_score"]
    fit = fit_mmrm(data, prognostic_score=score)
    expected = R["mmrm_procova"]
    difference = fit.treatment_difference
    assert difference.visit == expected["visit"]
    assert fit.n_rows == expected["n_rows"]
    # nlme stops at its own tolerance; the engine reaches an equal or higher REML likelihood
    assert fit.log_likelihood >= expected["log_likelihood"] - 1e-6
    assert difference.estimate == pytest.approx(expected["estimate"], rel=1e-5, abs=1e-5)
    assert difference.se == pytest.approx(expected["se"], rel=1e-5)
    assert difference.df == pytest.approx(expected["df"], rel=2e-3)
    assert difference.p == pytest.approx(expected["p"], rel=1e-3)
    unadjusted = fit_mmrm(data).treatment_difference
    assert difference.estimate != pytest.approx(unadjusted.estimate)
    with pytest.raises(FieldError, match="has no prognostic score"):
        fit_mmrm(data, prognostic_score=score.iloc[1:])


def test_randomised_analysis_adds_the_adjusted_mmrm_and_ancova(registry):
    balanced = HERE.parent / "randomised" / "balanced"
    data = read_analysis_data(balanced / "subjects.csv", balanced / "visits.csv")
    settings = AnalysisSettings(
        follow_up_days=190, time_point_days=183, time_point_window_before_days=7
    )
    covariates = tuple(c for c in PROGNOSTIC_COVARIATES if c != "lead_in_slope")
    score = prognostic_score(data.subjects, data.visits, registry, settings, covariates)
    document = analyse_randomised(data, prognostic=score).to_dict()
    adjusted = document["prognostic_adjusted"]
    assert adjusted["ancova"]["estimate"] == pytest.approx(R["ancova_procova"]["estimate"])
    assert adjusted["mmrm"]["treatment_difference"]["estimate"] == pytest.approx(
        R["mmrm_procova"]["estimate"], rel=1e-5
    )
    assert adjusted["prognostic_model"]["calibration"] == score.model.calibration.to_dict()
    # the contract keys stay the unadjusted analyses
    assert document["ancova"]["se"] == pytest.approx(R["ancova_unadjusted_se"])
    assert analyse_randomised(data).to_dict()["prognostic_adjusted"] is None

"""The piecewise mixed model against lme4 (REML; tests/reference/mixed_lme4.json, made by
mixed_lme4.R from tests/reference/mixed/*.csv), with both engines. The cohorts without slope
variance have singular REML fits, where statsmodels' optimizers stop short unless restarted."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.mixed_linear_model import MixedLM

from alstrial.analysis.mixed import fit_piecewise, is_singular, model_frame

REFERENCE = Path(__file__).parents[1] / "reference"
LME4 = json.loads((REFERENCE / "mixed_lme4.json").read_text())
CASES = sorted(name for name in LME4 if not name.startswith("_"))


def _key(term: str) -> str:
    """lme4 writes interactions as 't_post:treated'; patsy as 'treated:t_post'."""
    return ":".join(sorted(term.replace("(Intercept)", "Intercept").split(":")))


def _visits(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "mixed" / f"{name}.csv", dtype={"subject_id": str})


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("model", ["treated", "two_arm"])
def test_reml_engine_matches_lme4(name, model):
    """The default engine: REML log-likelihood equal to lme4's or higher, fixed effects within
    1e-5 relative (or 1e-5 standard errors, for a coefficient near zero), SEs, singular flags."""
    expected = LME4[name][model]
    result = fit_piecewise(_visits(name), two_arm=model == "two_arm")
    assert result.converged, result.note
    assert result.optimizer == "newton"
    assert result.reml_log_likelihood >= expected["reml_log_likelihood"] - 1e-8
    assert result.reml_log_likelihood == pytest.approx(expected["reml_log_likelihood"], abs=1e-6)
    assert result.singular == expected["singular"]
    fixed = {_key(k): v for k, v in expected["fixed"].items()}
    for term, row in result.fixed_effects.iterrows():
        reference = fixed[_key(term)]
        tolerance = max(1e-5 * abs(reference["estimate"]), 1e-5 * reference["se"])
        assert abs(row["estimate"] - reference["estimate"]) <= tolerance, term
        assert row["se"] == pytest.approx(reference["se"], rel=1e-5), term
        assert row["p_value"] == pytest.approx(reference["p_normal"], rel=1e-4, abs=1e-12)
    assert result.residual_variance == pytest.approx(expected["residual_variance"], rel=1e-5)
    assert result.n_visits == expected["n_visits"]
    assert result.n_subjects == expected["n_subjects"]
    if not result.singular:
        np.testing.assert_allclose(
            result.random_effects_cov, expected["cov_re"], rtol=1e-4, atol=1e-6
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("model", ["treated", "two_arm"])
def test_statsmodels_engine_matches_lme4(name, model):
    """The reference engine reaches the same optimum (to its own, looser precision)."""
    expected = LME4[name][model]
    result = fit_piecewise(_visits(name), two_arm=model == "two_arm", engine="statsmodels")
    assert result.converged, result.note
    assert result.reml_log_likelihood == pytest.approx(expected["reml_log_likelihood"], abs=1e-4)
    assert result.singular == expected["singular"]
    fixed = {_key(k): v for k, v in expected["fixed"].items()}
    for term, row in result.fixed_effects.iterrows():
        assert row["estimate"] == pytest.approx(fixed[_key(term)]["estimate"], abs=1e-4), term
        assert row["se"] == pytest.approx(fixed[_key(term)]["se"], rel=1e-4), term
        assert row["p_value"] == pytest.approx(fixed[_key(term)]["p_normal"], rel=1e-3, abs=1e-12)
    assert result.residual_variance == pytest.approx(expected["residual_variance"], rel=1e-3)
    assert result.n_visits == expected["n_visits"]
    assert result.n_subjects == expected["n_subjects"]
    if not result.singular:
        np.testing.assert_allclose(
            result.random_effects_cov, expected["cov_re"], rtol=1e-3, atol=1e-4
        )


def test_treated_only_uses_treated_subjects():
    visits = _visits("kim_like_seed1_slopesd0.6")
    result = fit_piecewise(visits)
    treated = visits[visits["arm"] == "treated"]
    assert result.n_subjects == treated["subject_id"].nunique()
    assert result.n_visits == len(treated)
    assert result.term == "t_post"
    assert result.to_dict()["slope_change"] == result.estimate


def test_default_statsmodels_fit_is_not_enough():
    """Why the start values, gradient check and restarts exist: from statsmodels' own start,
    at least one default optimizer stops below the REML optimum on this singular cohort."""
    name = "kim_like_seed0_slopesd0"
    frame = model_frame(_visits(name))
    frame = frame[frame["treated"] == 1.0]
    model = MixedLM.from_formula(
        "total ~ t + t_post", data=frame, groups="subject_id", re_formula="~t"
    )
    shortfalls = []
    for method in ("bfgs", "lbfgs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(reml=True, method=[method])
        shortfalls.append(LME4[name]["treated"]["reml_log_likelihood"] - fit.llf)
    assert max(shortfalls) > 1e-3
    checked = fit_piecewise(_visits(name), engine="statsmodels")
    assert checked.reml_log_likelihood == pytest.approx(
        LME4[name]["treated"]["reml_log_likelihood"], abs=1e-4
    )
    assert len(checked.attempts) > 1
    assert checked.singular
    assert "singular" in checked.note
    # The REML engine reaches the boundary optimum in one attempt (lme4's parametrisation).
    ours = fit_piecewise(_visits(name))
    assert ours.reml_log_likelihood >= LME4[name]["treated"]["reml_log_likelihood"] - 1e-8
    assert len(ours.attempts) == 1
    assert ours.singular
    assert "singular" in ours.note


@pytest.mark.parametrize("engine", ["reml", "statsmodels"])
def test_every_attempt_is_reported(engine):
    result = fit_piecewise(_visits("kim_like_seed3_slopesd0"), engine=engine)
    attempts = result.to_dict()["attempts"]
    assert sum(a["accepted"] for a in attempts) == 1
    accepted = next(a for a in attempts if a["accepted"])
    assert accepted["optimizer"] == result.optimizer
    assert {
        "optimizer",
        "start",
        "converged",
        "reml_log_likelihood",
        "max_abs_gradient",
        "scaled_gradient",
        "warnings",
    } <= set(attempts[0])


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        fit_piecewise(_visits("kim_like_seed0_slopesd0.6"), engine="lme4")


def test_is_singular_follows_lme4_rule():
    assert not is_singular(np.array([[4.0, 0.5], [0.5, 0.25]]), 1.0)
    # correlation exactly 1: the relative Cholesky factor has a zero on its diagonal
    assert is_singular(np.array([[4.0, 1.0], [1.0, 0.25]]), 1.0)
    assert is_singular(np.array([[4.0, 0.0], [0.0, 1e-10]]), 1.0)


def test_too_few_subjects_is_not_fitted():
    visits = _visits("kim_like_seed1_slopesd0.6")
    two = visits[visits["subject_id"].isin(sorted(visits["subject_id"].unique())[:2])]
    result = fit_piecewise(two)
    assert np.isnan(result.estimate)
    assert result.note.startswith("not fitted")
    assert result.to_dict()["slope_change"] is None

"""Matcher and balance against R's MatchIt 4.5.1 (reference values in tests/reference/, made by
``tests/reference/matchit_reference.R``): the same pairs, the same propensity logits, the same
balance table (means, standardized mean differences, variance ratios, eCDF mean and max, before
and after matching)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrial.analysis.matching import Matcher

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
COVARIATES = ("age", "duration", "baseline")
BALANCE_COLUMNS = [
    "mean_treated_before",
    "mean_control_before",
    "smd_before",
    "var_ratio_before",
    "mean_treated_after",
    "mean_control_after",
    "smd_after",
    "var_ratio_after",
    "ecdf_mean_before",
    "ecdf_max_before",
    "ecdf_mean_after",
    "ecdf_max_after",
]
CASES = {
    "mahalanobis_ratio2": {"caliper": None, "ratio": 2, "exact": ("site",)},
    "mahalanobis_caliper": {"caliper": 0.2, "ratio": 1, "exact": ("site",)},
    "mahalanobis_replace": {"caliper": None, "ratio": 1, "exact": (), "replace": True},
}


@pytest.fixture(scope="module")
def groups():
    data = pd.read_csv(REFERENCE / "matchit_data.csv")
    treated = data[data["treat"] == 1].reset_index(drop=True)
    candidates = data[data["treat"] == 0].reset_index(drop=True)
    return treated, candidates


@pytest.mark.parametrize("case", sorted(CASES))
def test_pairs_equal_matchit(groups, case):
    matcher = Matcher(covariates=COVARIATES, id_column="id", **CASES[case]).fit(*groups)
    expected = pd.read_csv(REFERENCE / f"matchit_pairs_{case}.csv")
    ours = {tuple(p) for p in matcher.matches_[["treated_id", "control_id", "round"]].values}
    assert ours == {tuple(p) for p in expected.values}


@pytest.mark.parametrize("case", sorted(CASES))
def test_balance_equals_matchit_summary(groups, case):
    matcher = Matcher(covariates=COVARIATES, id_column="id", **CASES[case]).fit(*groups)
    expected = pd.read_csv(REFERENCE / f"matchit_balance_{case}.csv").set_index("covariate")
    # MatchIt names a factor level "sitebulbar"; alstrial names it "site=bulbar".
    ours = matcher.balance_.summary().rename(index=lambda name: name.replace("=", ""))
    ours = ours.loc[expected.index, BALANCE_COLUMNS]
    np.testing.assert_allclose(
        ours.to_numpy(float), expected[BALANCE_COLUMNS].to_numpy(float), rtol=1e-9, atol=1e-12
    )


def test_propensity_logit_equals_r_glm(groups):
    matcher = Matcher(
        distance="propensity", covariates=COVARIATES, exact=(), caliper=None, id_column="id"
    ).fit(*groups)
    expected = pd.read_csv(REFERENCE / "matchit_logit.csv")
    np.testing.assert_allclose(matcher.propensity_["logit"], expected["logit"], atol=1e-6)
    assert matcher.propensity_["subject_id"].tolist() == expected["id"].tolist()


def test_propensity_pairs_equal_matchit_general_algorithm(groups):
    """Case 5 of the R script: MatchIt's general algorithm on the logit, largest first, 0.2 SD
    caliper, exact on site (its 4.5.1 fast propensity path is not used: see the script)."""
    matcher = Matcher(
        distance="propensity", covariates=COVARIATES, exact=("site",), caliper=0.2, id_column="id"
    ).fit(*groups)
    expected = pd.read_csv(REFERENCE / "matchit_pairs_propensity_general.csv")
    ours = {tuple(p) for p in matcher.matches_[["treated_id", "control_id", "round"]].values}
    assert ours == {tuple(p) for p in expected.values}
    assert len(matcher.unmatched_) == 40 - len(expected)

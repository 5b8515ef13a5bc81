"""Balance statistics against direct numpy computations (definitions: MatchIt/cobalt, ATT)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from alstrial.analysis.balance import (
    BalanceWarning,
    balance_table,
    covariate_matrix,
    matching_weights,
)
from alstrial.domain.errors import FieldError


@pytest.fixture
def groups():
    rng = np.random.default_rng(5)
    treated = pd.DataFrame(
        {
            "age_years": rng.normal(50, 8, 12),
            "sex": rng.choice(["F", "M"], 12),
            "site": rng.choice(["bulbar", "spinal", "other"], 12),
        }
    )
    controls = pd.DataFrame(
        {
            "age_years": rng.normal(57, 12, 30),
            "sex": rng.choice(["F", "M"], 30),
            "site": rng.choice(["bulbar", "spinal", "other"], 30),
        }
    )
    matched = np.ones(12, bool)
    matched[[2, 7]] = False
    weights = np.zeros(30)
    weights[:10] = 1.0
    weights[10:14] = 0.5
    return treated, controls, matched, weights


def test_continuous_covariate_smd_and_variance_ratio(groups):
    treated, controls, matched, weights = groups
    table = balance_table(treated, controls, ["age_years"], matched, weights).table
    t, c = treated["age_years"].to_numpy(), controls["age_years"].to_numpy()
    sd_treated = np.std(t, ddof=1)
    row = table.loc["age_years"]
    assert row["smd_before"] == pytest.approx((t.mean() - c.mean()) / sd_treated)
    assert row["var_ratio_before"] == pytest.approx(np.var(t, ddof=1) / np.var(c, ddof=1))
    mean_c_after = np.average(c, weights=weights)
    assert row["mean_control_after"] == pytest.approx(mean_c_after)
    assert row["smd_after"] == pytest.approx((t[matched].mean() - mean_c_after) / sd_treated)
    keep = weights > 0
    var_c_after = np.cov(c[keep], aweights=weights[keep])
    assert row["var_ratio_after"] == pytest.approx(np.var(t[matched], ddof=1) / var_c_after)
    assert row["type"] == "continuous"


def test_binary_and_category_levels_are_proportions(groups):
    treated, controls, matched, weights = groups
    table = balance_table(treated, controls, ["sex", "site"], matched, weights).table
    assert list(table.index) == ["sex=F", "sex=M", "site=bulbar", "site=other", "site=spinal"]
    p_t = (treated["site"] == "bulbar").mean()
    p_c = (controls["site"] == "bulbar").mean()
    row = table.loc["site=bulbar"]
    assert row["type"] == "binary"
    assert row["mean_treated_before"] == pytest.approx(p_t)
    assert row["smd_before"] == pytest.approx((p_t - p_c) / np.sqrt(p_t * (1 - p_t)))
    assert np.isnan(row["var_ratio_before"])
    p_c_after = np.average((controls["site"] == "bulbar").to_numpy(float), weights=weights)
    p_t_after = (treated["site"][matched] == "bulbar").mean()
    assert row["smd_after"] == pytest.approx((p_t_after - p_c_after) / np.sqrt(p_t * (1 - p_t)))


def test_sample_sizes_and_effective_sample_size(groups):
    treated, controls, matched, weights = groups
    sizes = balance_table(treated, controls, ["age_years"], matched, weights).sample_sizes
    assert (sizes["treated_before"], sizes["control_before"]) == (12, 30)
    assert (sizes["treated_after"], sizes["control_after"]) == (10, 14)
    assert sizes["control_ess"] == pytest.approx(weights.sum() ** 2 / (weights**2).sum())


def test_imbalance_is_flagged_and_warned():
    treated = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    controls = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 9.0, 9.5]})
    balanced = balance_table(treated, controls, ["x"], None, np.r_[np.ones(4), 0, 0])
    assert balanced.imbalanced == []
    skewed = balance_table(treated, controls, ["x"], None, np.r_[0, 0, 1.0, 1.0, 1.0, 1.0])
    assert skewed.imbalanced == ["x"]
    with pytest.warns(BalanceWarning, match=r"x: standardized mean difference"):
        skewed.warn()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        balanced.warn()
    assert skewed.to_dict()["imbalanced"] == ["x"]


def test_zero_treated_sd_gives_zero_or_infinite_smd_without_warnings():
    treated = pd.DataFrame({"x": [2.0, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = balance_table(treated, pd.DataFrame({"x": [2.0, 2.0]}), ["x"])
        other = balance_table(treated, pd.DataFrame({"x": [3.0, 3.0]}), ["x"])
    assert same.table.at["x", "smd_before"] == 0.0
    assert other.table.at["x", "smd_before"] == -np.inf
    assert other.to_dict()["covariates"][0]["smd_before"] is None


def test_matching_weights_follow_the_att_rule():
    # Treated 0 has controls 0 and 1; treated 1 has control 1 only (replacement).
    weights = matching_weights(3, np.array([0, 0, 1]), np.array([0, 1, 1]))
    np.testing.assert_allclose(weights, [0.5, 1.5, 0.0])


def test_missing_covariate_value_names_the_column_and_subject():
    treated = pd.DataFrame({"subject_id": ["a", "b"], "x": [1.0, None]})
    with pytest.raises(FieldError, match=r"'x' is missing for 1 of the treated \(e.g. b\)"):
        covariate_matrix([treated], ["x"], ["treated"])


def test_love_plot_draws_both_samples(groups):
    treated, controls, matched, weights = groups
    balance = balance_table(treated, controls, ["age_years", "sex"], matched, weights)
    figure = balance.love_plot()
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Age, years", "Sex: F", "Sex: M"]
    before = ax.collections[0].get_offsets()[:, 0]
    np.testing.assert_allclose(before, np.abs(balance.table["smd_before"]))


def test_ecdf_statistics_by_hand():
    # Values 1..4: F_t = 1/3, 2/3, 1, 1; F_c = 0, 1/2, 1/2, 1; gaps 1/3, 1/6, 1/2, 0.
    table = balance_table(
        pd.DataFrame({"x": [1.0, 2.0, 3.0]}), pd.DataFrame({"x": [2.0, 4.0]}), ["x"]
    ).table
    assert table.at["x", "ecdf_mean_before"] == pytest.approx((1 / 3 + 1 / 6 + 1 / 2) / 4)
    assert table.at["x", "ecdf_max_before"] == pytest.approx(1 / 2)
    # Weight 0 on the control at 4 leaves F_c = 0, 1, 1, 1: gaps 1/3, 1/3, 0, 0.
    weighted = balance_table(
        pd.DataFrame({"x": [1.0, 2.0, 3.0]}),
        pd.DataFrame({"x": [2.0, 4.0]}),
        ["x"],
        None,
        np.array([1.0, 0.0]),
    ).table
    assert weighted.at["x", "ecdf_mean_after"] == pytest.approx((1 / 3 + 1 / 3) / 4)
    assert weighted.at["x", "ecdf_max_after"] == pytest.approx(1 / 3)

"""The whole analysis: the documented JSON object (exact keys) and every number in it against
scipy called directly on the per-subject table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.settings import AnalysisSettings

#: docs/interfaces.md, 'Analysis data': the documented keys (more may be added, none may be
#: missing).
DOCUMENTED_SUBJECT_KEYS = {
    "subject_id",
    "arm",
    "lead_in_slope",
    "follow_up_slope",
    "change",
    "n_lead_in",
    "n_follow_up",
}
DOCUMENTED_ARM_KEYS = {
    "n",
    "mean_lead_in_slope",
    "mean_follow_up_slope",
    "mean_change",
    "paired_t_p",
    "wilcoxon_p",
}
DOCUMENTED_BETWEEN_KEYS = {"difference", "welch_t_p", "mann_whitney_p"}
DOCUMENTED_MIXED_KEYS = {"slope_change", "slope_change_se", "slope_change_p"}


@pytest.fixture(scope="module")
def result():
    subjects, visits = kim_like_cohort(11, effect=0.6, death_rate_per_month=0.03)
    return analyse(AnalysisData.from_frames(subjects, visits))


@pytest.fixture(scope="module")
def document(result):
    # round-trip through strict JSON: no NaN, only JSON types
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


def test_documented_keys(document):
    assert {"settings", "subjects", "arms", "between_arms", "mixed_model"} <= set(document)
    assert document["settings"]["days_per_month"] == 30.4375
    assert document["settings"]["follow_up_days"] == 90
    assert document["settings"]["pre_slope"] == "ols"
    for subject in document["subjects"]:
        assert set(subject) >= DOCUMENTED_SUBJECT_KEYS
    assert set(document["arms"]) == {"treated", "control"}
    for arm in document["arms"].values():
        assert set(arm) >= DOCUMENTED_ARM_KEYS
    assert set(document["between_arms"]) == {"change", "follow_up_slope"}
    for outcome in document["between_arms"].values():
        assert set(outcome) >= DOCUMENTED_BETWEEN_KEYS
    assert set(document["mixed_model"]["treated"]) >= DOCUMENTED_MIXED_KEYS
    assert {"counts", "subjects"} <= set(document["exclusions"])
    assert {"estimate", "ci"} <= set(document["arms"]["treated"]["hodges_lehmann"])
    assert {"estimate", "ci"} <= set(document["between_arms"]["change"]["hodges_lehmann"])


def test_arm_numbers_against_scipy(result, document):
    table = result.slopes.table
    for arm in ("treated", "control"):
        rows = table[table["arm"] == arm].dropna(subset=["lead_in_slope", "follow_up_slope"])
        pre, post = rows["lead_in_slope"].to_numpy(), rows["follow_up_slope"].to_numpy()
        got = document["arms"][arm]
        assert got["n"] == int((table["arm"] == arm).sum())
        assert got["mean_lead_in_slope"] == pytest.approx(
            table.loc[table["arm"] == arm, "lead_in_slope"].mean()
        )
        assert got["mean_change"] == pytest.approx(table.loc[table["arm"] == arm, "change"].mean())
        assert got["paired_t_p"] == pytest.approx(stats.ttest_rel(post, pre).pvalue)
        d = post - pre
        d = d[d != 0]
        ties = len(np.unique(np.abs(d))) != len(d) or len(d) != len(post)
        method = "approx" if ties or len(d) >= 50 else "exact"
        expected = stats.wilcoxon(d, method=method, correction=method == "approx")
        assert got["wilcoxon_p"] == pytest.approx(expected.pvalue)


def test_between_arms_against_scipy(result, document):
    table = result.slopes.table
    for outcome in ("change", "follow_up_slope"):
        t = table.loc[table["arm"] == "treated", outcome].dropna().to_numpy()
        c = table.loc[table["arm"] == "control", outcome].dropna().to_numpy()
        got = document["between_arms"][outcome]
        assert got["difference"] == pytest.approx(t.mean() - c.mean())
        assert got["welch_t_p"] == pytest.approx(stats.ttest_ind(t, c, equal_var=False).pvalue)
        ties = len(np.unique(np.concatenate([t, c]))) != len(t) + len(c)
        method = "asymptotic" if ties else "exact"
        expected = stats.mannwhitneyu(t, c, method=method, use_continuity=True)
        assert got["mann_whitney_p"] == pytest.approx(expected.pvalue)


def test_mixed_model_p_value_is_two_sided_normal_wald(document):
    mixed = document["mixed_model"]["treated"]
    z = mixed["slope_change"] / mixed["slope_change_se"]
    assert mixed["slope_change_p"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert mixed["converged"] is True
    assert "two_arm" in document["mixed_model"]


def test_cafs_present_when_deaths_occur(result, document):
    assert result.slopes.exclusion_counts()["died_during_follow_up"] > 0
    assert document["cafs"] is not None
    assert set(document["cafs"]["arms"]) == {"treated", "control"}


def test_treated_only_data():
    subjects, visits = kim_like_cohort(12, n_control=0)
    result = analyse(AnalysisData.from_frames(subjects, visits))
    assert set(result.tests_table()["comparison"]) == {"treated: follow-up vs lead-in slope"}
    document = result.to_dict()
    assert document["arms"]["control"]["n"] == 0
    assert document["arms"]["control"]["mean_change"] is None
    assert document["between_arms"]["change"]["difference"] is None
    assert "two_arm" not in document["mixed_model"]
    assert document["cafs"] is None


def test_settings_change_the_numbers():
    subjects, visits = kim_like_cohort(13)
    data = AnalysisData.from_frames(subjects, visits)
    short = analyse(data, AnalysisSettings(follow_up_days=45, pre_slope="two_point")).to_dict()
    assert short["settings"]["follow_up_days"] == 45
    assert {s["lead_in_slope_method"] for s in short["subjects"]} == {"two_point"}
    default = analyse(data).to_dict()
    assert short["arms"]["treated"]["mean_change"] != default["arms"]["treated"]["mean_change"]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="pre_slope"):
        AnalysisSettings(pre_slope="linear")
    with pytest.raises(ValueError, match="follow_up_days"):
        AnalysisSettings(follow_up_days=0)


@pytest.mark.slow
def test_engine_recovers_a_known_effect():
    """A large synthetic cohort whose treated slope rises by 0.5 points/month after the index
    day: every estimator of the slope change must find it within a few standard errors, and
    the controls must show none."""
    subjects, visits = kim_like_cohort(32, n_treated=150, n_control=150, effect=0.5)
    result = analyse(AnalysisData.from_frames(subjects, visits))
    mixed = result.mixed_treated
    assert mixed.converged
    assert abs(mixed.estimate - 0.5) < 3 * mixed.se
    assert mixed.se < 0.15
    treated, control = result.arms["treated"], result.arms["control"]
    assert abs(treated.slope_difference.estimate - 0.5) < 0.15
    assert abs(control.slope_difference.estimate) < 0.15
    two_arm = result.mixed_two_arm
    assert abs(two_arm.estimate - 0.5) < 3 * two_arm.se
    # 0.5 points/month over a 90-day follow-up: change differs by about 0.5 * 90 / 30.4375
    change = result.between_arms["change"].difference
    assert abs(change.estimate - 0.5 * 90 / 30.4375) < 3 * (change.ci_high - change.ci_low) / 3.92


#: Every key of the object (documented plus added), so that a change is a deliberate one.
EXACT_KEYS = {
    (): {
        "settings",
        "subjects",
        "arms",
        "between_arms",
        "mixed_model",
        "responders",
        "responder_tests",
        "cafs",
        "exclusions",
        "counts",
        "matching",
        "unmatched_treated",
    },
    ("responder_tests", 0): {
        "definition",
        "threshold",
        "treated_proportion",
        "control_proportion",
        "difference",
        "fisher_p",
    },
    ("settings",): {
        "days_per_month",
        "follow_up_days",
        "pre_slope",
        "absolute_thresholds",
        "relative_thresholds",
        "confidence",
        "exact_rank_limit",
        "rank_test_rule",
        "time_point_days",
        "time_point_window_before_days",
        "time_point_window_days",
        "follow_up_visit",
    },
    ("subjects", 0): DOCUMENTED_SUBJECT_KEYS
    | {
        "index_day",
        "baseline_day",
        "baseline_total",
        "lead_in_slope_method",
        "pre_slope_ols",
        "pre_slope_two_point",
        "pre_slope_onset",
        "last_follow_up_day",
        "delta_fs",
    },
    ("arms", "treated"): DOCUMENTED_ARM_KEYS
    | {"n_paired", "mean_slope_difference", "hodges_lehmann", "paired_t", "wilcoxon"},
    ("between_arms", "change"): DOCUMENTED_BETWEEN_KEYS
    | {
        "difference_ci",
        "n_treated",
        "n_control",
        "mean_treated",
        "mean_control",
        "hodges_lehmann",
        "welch_t",
        "mann_whitney",
        "weighted_difference",
    },
    ("mixed_model",): {"treated", "two_arm"},
    ("mixed_model", "treated"): DOCUMENTED_MIXED_KEYS
    | {
        "slope_change_ci",
        "confidence",
        "term",
        "formula",
        "n_subjects",
        "n_visits",
        "converged",
        "optimizer",
        "reml_log_likelihood",
        "singular",
        "random_effects_cov",
        "residual_variance",
        "fixed_effects",
        "attempts",
        "note",
    },
    ("arms", "treated", "paired_t"): {
        "test",
        "statistic",
        "p_value",
        "method",
        "n",
        "alternative",
        "note",
    },
    ("responders", 0): {
        "arm",
        "definition",
        "threshold",
        "threshold_unit",
        "responders",
        "n",
        "n_undefined",
        "proportion",
        "ci",
        "confidence",
    },
    ("cafs",): {
        "time_point_days",
        "window_days",
        "arms",
        "mann_whitney_p",
        "test",
        "subjects",
        "excluded",
    },
    ("exclusions",): {"counts", "subjects"},
    ("counts",): {
        "subjects",
        "analysed",
        "visits",
        "visits_analysed",
        "visits_after_follow_up_window",
    },
}


@pytest.mark.parametrize("path", list(EXACT_KEYS), ids=lambda p: "/".join(map(str, p)) or "top")
def test_exact_keys(document, path):
    node = document
    for step in path:
        node = node[step]
    assert set(node) == EXACT_KEYS[path]
    assert document["arms"]["control"].keys() == document["arms"]["treated"].keys()
    assert (
        document["between_arms"]["follow_up_slope"].keys()
        == document["between_arms"]["change"].keys()
    )


def test_rank_tests_see_through_floating_point_noise():
    from alstrial.analysis.efficacy import _arm_summary

    table = pd.DataFrame(
        {
            "lead_in_slope": [0.1, 0.2, 1.0, 0.5],
            "follow_up_slope": [0.4, 0.5, 2.5, 0.5],
            "change": [0, 0, 0, 0],
        }
    )
    # differences 0.30000000000000004, 0.3, 1.5 and 0: a tie and a zero in exact arithmetic
    assert (table["follow_up_slope"] - table["lead_in_slope"]).nunique() == 4
    summary = _arm_summary("treated", table, AnalysisSettings())
    assert summary.wilcoxon.method == "normal approximation with continuity correction"
    assert summary.wilcoxon.n == 3
    expected = stats.wilcoxon([0.3, 0.3, 1.5], method="approx", correction=True)
    assert summary.wilcoxon.p_value == pytest.approx(expected.pvalue)


class _Matching:
    """The parts of a registry match result the analysis reads: who was matched, who was not."""

    def __init__(self, matched_treated, unmatched_treated, weights=None):
        self.matches = pd.DataFrame({"treated_id": matched_treated, "control_id": "c"})
        self.unmatched = pd.DataFrame({"treated_id": unmatched_treated, "reason": "no control"})
        self.weights = weights

    def to_dict(self):
        return {}


def test_between_arm_comparisons_use_the_matched_treated_only(result):
    subjects, visits = kim_like_cohort(11, effect=0.6, death_rate_per_month=0.03)
    data = AnalysisData.from_frames(subjects, visits)
    table = result.slopes.table
    treated_ids = sorted(table.loc[table["arm"] == "treated", "subject_id"])
    unmatched_ids = treated_ids[::3]
    matched_ids = [sid for sid in treated_ids if sid not in unmatched_ids]
    matched = analyse(data, matching=_Matching(matched_ids, unmatched_ids))

    compared_treated = table[table["subject_id"].isin(matched_ids)]
    control = table[table["arm"] == "control"]
    for outcome in ("change", "follow_up_slope"):
        b = matched.between_arms[outcome]
        t_values = compared_treated[outcome].dropna()
        c_values = control[outcome].dropna()
        assert b.n_treated == len(t_values)
        assert b.mean_treated == pytest.approx(t_values.mean())
        welch = stats.ttest_ind(t_values, c_values, equal_var=False)
        assert b.welch_t.p_value == pytest.approx(welch.pvalue)
        # the unmatched treated no longer count: the estimate differs from the all-treated one
        assert b.n_treated < result.between_arms[outcome].n_treated
    # the within-arm summary still covers every treated subject
    assert matched.arms["treated"].n == result.arms["treated"].n

    unmatched = matched.to_dict()["unmatched_treated"]
    assert unmatched["n"] == len(unmatched_ids)
    assert [s["subject_id"] for s in unmatched["subjects"]] == unmatched_ids
    assert {s["reason"] for s in unmatched["subjects"]} == {"no control"}
    left_out = table[table["subject_id"].isin(unmatched_ids)]
    assert unmatched["mean_change"] == pytest.approx(left_out["change"].dropna().mean())
    # the two-arm mixed model is fitted to the compared subjects only
    assert matched.mixed_two_arm.to_dict() != result.mixed_two_arm.to_dict()


def test_unequal_matching_weights_give_the_att_weighted_difference(result):
    subjects, visits = kim_like_cohort(11, effect=0.6, death_rate_per_month=0.03)
    data = AnalysisData.from_frames(subjects, visits)
    table = result.slopes.table
    treated_ids = list(table.loc[table["arm"] == "treated", "subject_id"])
    control = table[table["arm"] == "control"]
    # with replacement: the first control served three treated subjects, the rest one each
    weights = pd.Series(1.0, index=control["subject_id"])
    weights.iloc[0] = 3.0
    weighted = analyse(data, matching=_Matching(treated_ids, [], weights))
    for outcome in ("change", "follow_up_slope"):
        keep = control[outcome].notna()
        expected = table.loc[table["arm"] == "treated", outcome].mean() - np.average(
            control.loc[keep, outcome], weights=weights[control.loc[keep, "subject_id"]]
        )
        b = weighted.between_arms[outcome]
        assert b.weighted_difference == pytest.approx(expected)
        assert b.weighted_difference != pytest.approx(b.difference.estimate)
    # equal weights (1:1 without replacement): the unweighted difference is already the ATT
    equal = analyse(data, matching=_Matching(treated_ids, [], weights * 0 + 1))
    assert equal.between_arms["change"].weighted_difference is None


def test_without_matching_every_subject_is_compared(result, document):
    table = result.slopes.table
    assert result.between_arms["change"].n_treated == int(
        table.loc[table["arm"] == "treated", "change"].notna().sum()
    )
    assert document["unmatched_treated"] is None

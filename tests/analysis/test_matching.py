"""Matcher on constructed data where the right matches are known, and against direct computations.

Sources of the expected behaviour: MatchIt's nearest-neighbour matching (greedy order, 1:k in
rounds, caliper in SDs, exact strata); statsmodels' Logit for the propensity model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import mahalanobis

from alstrial.analysis.matching import Matcher
from alstrial.domain.errors import FieldError


def frame(prefix: str, ages, sites=None, **extra) -> pd.DataFrame:
    data = {"subject_id": [f"{prefix}{i}" for i in range(len(ages))], "age_years": ages}
    data["onset_site"] = sites if sites is not None else ["spinal"] * len(ages)
    data.update(extra)
    return pd.DataFrame(data)


def pairs(matcher: Matcher) -> list[tuple[str, str]]:
    return list(matcher.matches_[["treated_id", "control_id"]].itertuples(index=False, name=None))


def age_matcher(**options) -> Matcher:
    options.setdefault("caliper", None)
    return Matcher(covariates=("age_years",), **options)


def pooled_sd(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ss = ((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()
    return float(np.sqrt(ss / (len(a) + len(b) - 2)))


def test_nearest_neighbour_in_data_order_with_its_distance():
    treated = frame("t", [50.0, 60.0, 70.0])
    candidates = frame("c", [49.0, 61.0, 72.0, 100.0, 30.0])
    m = age_matcher().fit(treated, candidates)
    assert pairs(m) == [("t0", "c0"), ("t1", "c1"), ("t2", "c2")]
    sd = pooled_sd(treated["age_years"], candidates["age_years"])
    np.testing.assert_allclose(m.matches_["distance"], np.array([1.0, 1.0, 2.0]) / sd)
    assert m.unmatched_.empty


def test_greedy_order_decides_a_contested_control():
    candidates = frame("c", [50.4, 52.0])
    first = age_matcher().fit(frame("t", [50.0, 51.0]), candidates)
    assert pairs(first) == [("t0", "c0"), ("t1", "c1")]  # t0 chooses first and takes c0
    second = age_matcher().fit(frame("t", [51.0, 50.0]), candidates)
    assert pairs(second) == [("t0", "c0"), ("t1", "c1")]  # now 51 chooses first: 51 -> 50.4
    assert second.matches_["distance"].iloc[1] == pytest.approx(
        2.0 / pooled_sd([51.0, 50.0], [50.4, 52.0])
    )


def test_caliper_drops_the_treated_subject_with_no_close_candidate():
    treated = frame("t", [50.0, 90.0])
    candidates = frame("c", [50.5, 51.0, 55.0, 60.0, 62.0])
    m = age_matcher(caliper=0.2).fit(treated, candidates)
    width = 0.2 * np.std(np.r_[treated["age_years"], candidates["age_years"]], ddof=1)
    assert m.caliper_widths_ == {"age_years": pytest.approx(width)}
    assert width < 62.0 - 50.0  # nobody is within reach of the 90-year-old
    assert pairs(m) == [("t0", "c0")]
    assert m.unmatched_.to_dict("records") == [
        {"treated_id": "t1", "reason": "no candidate within the caliper"}
    ]


def test_caliper_applies_to_every_mahalanobis_covariate():
    treated = frame("t", [50.0], duration=[12.0])
    # c0 is nearest in age but far in duration; c1 is within the caliper on both.
    candidates = frame("c", [50.0, 52.0, 70.0, 30.0], duration=[40.0, 12.0, 20.0, 5.0])
    loose = Matcher(covariates=("age_years", "duration"), caliper=None).fit(treated, candidates)
    tight = Matcher(covariates=("age_years", "duration"), caliper=0.2).fit(treated, candidates)
    every = np.r_[[[50.0, 12.0]], candidates[["age_years", "duration"]].to_numpy()]
    widths = 0.2 * every.std(axis=0, ddof=1)
    assert abs(52.0 - 50.0) <= widths[0]
    assert abs(40.0 - 12.0) > widths[1]
    assert tight.matches_["control_id"].tolist() == ["c1"]
    assert loose.caliper_widths_ == {"age_years": np.inf, "duration": np.inf}


def test_exact_strata_are_never_crossed():
    treated = frame("t", [50.0, 60.0], sites=["bulbar", "spinal"])
    candidates = frame(
        "c", [50.0, 60.0, 58.0, 45.0], sites=["spinal", "bulbar", "spinal", "bulbar"]
    )
    m = age_matcher().fit(treated, candidates)
    assert pairs(m) == [("t0", "c3"), ("t1", "c2")]
    lonely = age_matcher().fit(frame("t", [50.0], sites=["other"]), candidates)
    assert lonely.matches_.empty
    assert "stratum" in lonely.unmatched_["reason"].iloc[0]


def test_ratio_two_without_replacement_matches_in_rounds():
    treated = frame("t", [50.0, 51.0])
    candidates = frame("c", [50.4, 50.55, 52.0, 53.0])
    m = age_matcher(ratio=2).fit(treated, candidates)
    # Round 1: t0 -> c0 (0.4); t1 -> c1 (c0 taken). Round 2: t0 -> c2; t1 -> c3.
    # (Giving t0 both its controls first would have been t0 -> c0, c1.)
    assert pairs(m) == [("t0", "c0"), ("t0", "c2"), ("t1", "c1"), ("t1", "c3")]
    assert m.matches_["round"].tolist() == [1, 2, 1, 2]
    np.testing.assert_allclose(m.weights_.loc[["c0", "c1", "c2", "c3"]], 0.5)
    assert m.balance_.sample_sizes["control_after"] == 4


def test_ratio_two_with_replacement_shares_controls_and_adds_weights():
    treated = frame("t", [50.0, 51.0])
    candidates = frame("c", [50.4, 50.55, 52.0, 53.0])
    m = age_matcher(ratio=2, replace=True).fit(treated, candidates)
    assert pairs(m) == [("t0", "c0"), ("t0", "c1"), ("t1", "c1"), ("t1", "c0")]
    assert m.weights_.to_dict() == {"c0": 1.0, "c1": 1.0}


def test_too_few_candidates_leaves_later_treated_unmatched_without_replacement():
    m = age_matcher().fit(frame("t", [50.0, 51.0, 52.0]), frame("c", [50.0, 51.0]))
    assert len(m.matches_) == 2
    assert m.unmatched_["treated_id"].tolist() == ["t2"]
    assert m.unmatched_["reason"].iloc[0].startswith("every candidate within the caliper")


def test_ties_go_to_the_first_candidate_in_the_frame():
    m = age_matcher().fit(frame("t", [50.0]), frame("c", [51.0, 49.0, 51.0]))
    assert pairs(m) == [("t0", "c0")]


def test_two_covariate_distance_equals_scipy_mahalanobis_with_pooled_covariance():
    rng = np.random.default_rng(7)
    treated = pd.DataFrame(
        {
            "subject_id": [f"t{i}" for i in range(8)],
            "a": rng.normal(55, 10, 8),
            "b": rng.normal(20, 6, 8),
        }
    )
    candidates = pd.DataFrame(
        {
            "subject_id": [f"c{i}" for i in range(60)],
            "a": rng.normal(58, 11, 60),
            "b": rng.normal(18, 7, 60),
        }
    )
    m = Matcher(covariates=("a", "b"), exact=(), caliper=None, replace=True).fit(
        treated, candidates
    )
    xt, xc = treated[["a", "b"]].to_numpy(), candidates[["a", "b"]].to_numpy()
    pooled = ((len(xt) - 1) * np.cov(xt.T) + (len(xc) - 1) * np.cov(xc.T)) / (len(xt) + len(xc) - 2)
    inverse = np.linalg.inv(pooled)
    for row in m.matches_.itertuples():
        t = int(row.treated_id[1:])
        every = [mahalanobis(xt[t], xc[j], inverse) for j in range(len(xc))]
        assert row.control_id == f"c{int(np.argmin(every))}"
        assert row.distance == pytest.approx(min(every), rel=1e-10)


def propensity_data(seed: int = 3, n_t: int = 40, n_c: int = 400):
    rng = np.random.default_rng(seed)
    treated = pd.DataFrame(
        {
            "subject_id": [f"t{i}" for i in range(n_t)],
            "age_years": rng.normal(52, 9, n_t),
            "delta_fs": rng.gamma(4, 0.15, n_t),
            "onset_site": rng.choice(["bulbar", "spinal"], n_t, p=[0.3, 0.7]),
        }
    )
    candidates = pd.DataFrame(
        {
            "subject_id": [f"c{i}" for i in range(n_c)],
            "age_years": rng.normal(57, 11, n_c),
            "delta_fs": rng.gamma(4, 0.12, n_c),
            "onset_site": rng.choice(["bulbar", "spinal"], n_c, p=[0.2, 0.8]),
        }
    )
    return treated, candidates


def test_propensity_logit_equals_statsmodels_logit():
    treated, candidates = propensity_data()
    m = Matcher(
        distance="propensity", covariates=("age_years", "delta_fs"), exact=(), caliper=None
    ).fit(treated, candidates)
    both = pd.concat([treated, candidates], ignore_index=True)
    y = np.r_[np.ones(len(treated)), np.zeros(len(candidates))]
    fit = sm.Logit(y, sm.add_constant(both[["age_years", "delta_fs"]])).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(m.propensity_["logit"], fit.fittedvalues, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(m.propensity_["propensity"], fit.predict(), rtol=1e-6)


def naive_greedy(logit_t, logit_c, sites_t, sites_c, width):
    """A plain loop: largest propensity first, nearest unused candidate of the same site."""
    used, out = set(), {}
    for i in sorted(range(len(logit_t)), key=lambda k: (-logit_t[k], k)):
        best = None
        for j in range(len(logit_c)):
            d = abs(logit_t[i] - logit_c[j])
            if j in used or sites_c[j] != sites_t[i] or d > width:
                continue
            if best is None or d < best[1]:
                best = (j, d)
        if best is not None:
            used.add(best[0])
            out[i] = best[0]
    return out


def test_propensity_matching_equals_a_plain_loop_with_caliper_and_strata():
    treated, candidates = propensity_data(seed=11)
    m = Matcher(distance="propensity", covariates=("age_years", "delta_fs"), caliper=0.2).fit(
        treated, candidates
    )
    ps = m.propensity_
    logit_t = ps.loc[ps["group"] == "treated", "logit"].to_numpy()
    logit_c = ps.loc[ps["group"] == "candidate", "logit"].to_numpy()
    width = 0.2 * np.std(np.r_[logit_t, logit_c], ddof=1)
    expected = naive_greedy(
        logit_t, logit_c, treated["onset_site"].tolist(), candidates["onset_site"].tolist(), width
    )
    got = {int(t[1:]): int(c[1:]) for t, c in pairs(m)}
    assert got == expected
    assert m.caliper_widths_["propensity logit"] == pytest.approx(width)
    assert set(m.unmatched_["treated_id"]) == {f"t{i}" for i in range(40)} - {
        f"t{i}" for i in expected
    }


def test_balance_after_matching_uses_the_matched_sample():
    treated = frame("t", [50.0, 60.0, 90.0])
    candidates = frame("c", [49.0, 61.0, 30.0, 35.0])
    m = age_matcher(caliper=0.2).fit(treated, candidates)
    row = m.balance_.table.loc["age_years"]
    assert row["mean_treated_after"] == pytest.approx(np.mean([50.0, 60.0]))
    assert row["mean_control_after"] == pytest.approx(np.mean([49.0, 61.0]))
    assert row["mean_control_before"] == pytest.approx(np.mean([49.0, 61.0, 30.0, 35.0]))
    assert m.balance_.table.loc["onset_site=spinal", "type"] == "binary"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"distance": "euclid"}, "distance"),
        ({"ratio": 0}, "ratio"),
        ({"caliper": -1.0}, "caliper"),
        ({"order": "largest"}, "order"),
        ({"covariates": ("onset_site",)}, "exact"),
    ],
)
def test_bad_options_name_the_option(options, field):
    with pytest.raises(FieldError) as caught:
        Matcher(**options).fit(frame("t", [50.0]), frame("c", [51.0]))
    assert caught.value.field == field


def test_missing_or_empty_covariate_names_the_column_and_frame():
    treated = frame("t", [50.0, np.nan])
    with pytest.raises(FieldError, match=r"age_years.*treated.*t1"):
        age_matcher().fit(treated, frame("c", [51.0]))
    with pytest.raises(FieldError, match=r"delta_fs.*candidates"):
        Matcher(covariates=("age_years", "delta_fs")).fit(
            frame("t", [50.0], delta_fs=[0.5]), frame("c", [51.0])
        )


def test_constant_covariate_is_refused_for_mahalanobis():
    with pytest.raises(FieldError, match="does not vary"):
        Matcher(covariates=("age_years", "k"), caliper=None).fit(
            frame("t", [50.0, 52.0], k=[1.0, 1.0]), frame("c", [51.0, 53.0], k=[1.0, 1.0])
        )


def test_an_id_in_both_groups_is_refused():
    with pytest.raises(FieldError, match=r"ids in both treated and candidates: \['x0'\]"):
        age_matcher().fit(frame("x", [50.0]), frame("x", [51.0]))


def test_random_order_is_reproducible_with_a_seed():
    treated = frame("t", [50.0, 50.2, 50.4, 50.6])
    candidates = frame("c", [50.1, 50.3, 50.5])
    first = age_matcher(order="random", random_state=3).fit(treated, candidates)
    again = age_matcher(order="random", random_state=3).fit(treated, candidates)
    pd.testing.assert_frame_equal(first.matches_, again.matches_)
    assert len(first.unmatched_) == 1


def test_fewer_controls_than_the_ratio_is_warned():
    with pytest.warns(UserWarning, match="1 treated subject"):
        m = age_matcher(ratio=2).fit(frame("t", [50.0, 60.0]), frame("c", [50.0, 60.0, 61.0]))
    # Round 1: t0 -> 50, t1 -> 60; round 2: t0 takes 61, nothing is left for t1.
    assert m.matches_.groupby("treated_id").size().to_dict() == {"t0": 2, "t1": 1}


def naive_rounds(distance, allowed, order, ratio, replace):
    """Greedy 1:k matching in rounds over a full distance matrix (treated x candidates)."""
    used, out = set(), []
    for round_number in range(1, ratio + 1):
        for i in order:
            taken = {c for t, c, _ in out if t == i}
            if len(taken) < round_number - 1:
                continue  # found nothing in an earlier round: nothing later either
            best = None
            for j in range(distance.shape[1]):
                if not allowed[i, j] or j in taken or (not replace and j in used):
                    continue
                if best is None or distance[i, j] < distance[i, best]:
                    best = j
            if best is not None:
                used.add(best)
                out.append((i, best, round_number))
    return {(i, j, r) for i, j, r in out}


@pytest.mark.filterwarnings("ignore:.*received fewer than:UserWarning")
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    ratio=st.integers(1, 3),
    replace=st.booleans(),
    caliper=st.sampled_from([None, 0.3, 1.0]),
)
def test_mahalanobis_matching_equals_a_plain_loop(seed, ratio, replace, caliper):
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(seed)
    n_t, n_c = 6, 15
    treated = pd.DataFrame(
        {
            "subject_id": [f"t{i}" for i in range(n_t)],
            "a": rng.normal(0, 1, n_t),
            "b": rng.normal(1, 2, n_t),
            "onset_site": rng.choice(["bulbar", "spinal"], n_t),
        }
    )
    candidates = pd.DataFrame(
        {
            "subject_id": [f"c{i}" for i in range(n_c)],
            "a": rng.normal(0.3, 1, n_c),
            "b": rng.normal(0, 2, n_c),
            "onset_site": rng.choice(["bulbar", "spinal"], n_c),
        }
    )
    m = Matcher(covariates=("a", "b"), caliper=caliper, ratio=ratio, replace=replace).fit(
        treated, candidates
    )
    xt, xc = treated[["a", "b"]].to_numpy(), candidates[["a", "b"]].to_numpy()
    pooled = ((n_t - 1) * np.cov(xt.T) + (n_c - 1) * np.cov(xc.T)) / (n_t + n_c - 2)
    distance = cdist(xt, xc, metric="mahalanobis", VI=np.linalg.inv(pooled))
    allowed = treated["onset_site"].to_numpy()[:, None] == candidates["onset_site"].to_numpy()
    if caliper is not None:
        sd = np.r_[xt, xc].std(axis=0, ddof=1)
        allowed &= (np.abs(xt[:, None, :] - xc[None, :, :]) <= caliper * sd).all(axis=2)
    expected = naive_rounds(distance, allowed, range(n_t), ratio, replace)
    got = {
        (int(t[1:]), int(c[1:]), int(r))
        for t, c, r in m.matches_[["treated_id", "control_id", "round"]].itertuples(index=False)
    }
    assert got == expected
    for row in m.matches_.itertuples():
        assert row.distance == pytest.approx(
            distance[int(row.treated_id[1:]), int(row.control_id[1:])]
        )


def test_set_params_changes_options_and_refuses_unknown_ones():
    matcher = age_matcher().set_params(ratio=2, exact=[])
    assert matcher.get_params()["ratio"] == 2
    assert matcher.get_params()["exact"] == []
    with pytest.raises(FieldError, match="no option 'k'"):
        matcher.set_params(k=3)

"""Responders: hand-counted examples and Clopper-Pearson intervals against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alstrial.analysis.responders import clopper_pearson, responders


def _table():
    # improvement = follow-up - lead-in slope; relative = improvement / |lead-in| * 100
    rows = [
        ("treated", -1.0, 0.5),  # +1.5, 150%
        ("treated", -2.0, -0.75),  # +1.25, 62.5%
        ("treated", -1.0, -0.6),  # +0.4, 40%
        ("treated", 0.0, 1.0),  # +1.0, relative undefined
        ("treated", -1.0, np.nan),  # not counted
        ("control", -1.0, -1.2),  # -0.2, -20%
        ("control", -0.5, 1.0),  # +1.5, 300%
    ]
    return pd.DataFrame(rows, columns=["arm", "lead_in_slope", "follow_up_slope"])


def test_hand_counted_responders():
    rates = {(r.arm, r.definition, r.threshold): r for r in responders(_table()).rates}
    treated_125 = rates[("treated", "absolute", 1.25)]
    assert (treated_125.responders, treated_125.n) == (2, 4)  # +1.5 and +1.25 (boundary counts)
    assert rates[("treated", "absolute", 1.5)].responders == 1
    relative_50 = rates[("treated", "relative", 50.0)]
    assert (relative_50.responders, relative_50.n, relative_50.n_undefined) == (2, 3, 1)
    assert rates[("treated", "relative", 100.0)].responders == 1
    assert rates[("control", "absolute", 1.25)].responders == 1
    assert rates[("control", "relative", 100.0)].responders == 1


def test_clopper_pearson_matches_scipy():
    for k, n in [(0, 22), (7, 22), (22, 22), (3, 10)]:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)
    assert all(np.isnan(clopper_pearson(0, 0)))


def test_thresholds_are_settings():
    analysis = responders(_table(), absolute_thresholds=(1.0,), relative_thresholds=(30.0,))
    assert {(r.definition, r.threshold) for r in analysis.rates} == {
        ("absolute", 1.0),
        ("relative", 30.0),
    }
    treated = next(r for r in analysis.rates if r.arm == "treated" and r.definition == "absolute")
    assert treated.responders == 3
    assert analysis.to_dict()[0]["threshold_unit"] in {"points/month", "percent"}


def test_arms_compared_by_fisher_exact_test():
    analysis = responders(_table())
    absolute = next(
        c for c in analysis.comparisons if c.definition == "absolute" and c.threshold == 1.25
    )
    # treated 2/4 vs control 1/2: the most likely table given its margins, so p = 1
    assert absolute.difference == pytest.approx(2 / 4 - 1 / 2)
    assert absolute.fisher_p == pytest.approx(1.0)
    relative = next(
        c for c in analysis.comparisons if c.definition == "relative" and c.threshold == 100.0
    )
    # treated 1/3 vs control 1/2; margins: 2 responders among 5, 3 treated. Two-sided p sums
    # the hypergeometric probabilities of the tables no more likely than the observed one.
    pmf = stats.hypergeom.pmf(np.arange(0, 3), 5, 2, 3)
    observed = stats.hypergeom.pmf(1, 5, 2, 3)
    assert relative.fisher_p == pytest.approx(pmf[pmf <= observed * (1 + 1e-7)].sum())
    assert relative.difference == pytest.approx(1 / 3 - 1 / 2)


def test_flat_lead_in_up_to_float_noise_is_undefined():
    table = pd.DataFrame(
        {"arm": ["treated"] * 2, "lead_in_slope": [1e-17, -1.0], "follow_up_slope": [0.5, -0.5]}
    )
    relative = next(r for r in responders(table).rates if r.definition == "relative")
    assert (relative.n, relative.n_undefined) == (1, 1)

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

"""Effect sizes with confidence intervals.

- Between arms: difference of means (treated minus control) with Welch's t interval
  (Welch-Satterthwaite degrees of freedom), the interval that goes with Welch's test.
- Within an arm: mean paired difference (follow-up minus lead-in slope) with the t interval of
  the paired t-test.
Units are those of the outcome (points for change, points/month for slopes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from alstrial.analysis.results import NAN, Estimate
from alstrial.analysis.tests import _pairs, _values


def welch_difference(x: Any, y: Any, confidence: float = 0.95) -> Estimate:
    """mean(x) - mean(y) with Welch's t confidence interval."""
    a, b = _values(x), _values(y)
    method = "Welch t interval"
    if a.size == 0 or b.size == 0:
        return Estimate(NAN, NAN, NAN, confidence, method)
    estimate = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2 or (np.var(a) == 0 and np.var(b) == 0):
        return Estimate(estimate, NAN, NAN, confidence, method)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence_level=confidence)
    return Estimate(estimate, float(ci.low), float(ci.high), confidence, method)


def paired_difference(after: Any, before: Any, confidence: float = 0.95) -> Estimate:
    """Mean of ``after - before`` over complete pairs, with the paired t confidence interval."""
    a, b = _pairs(after, before)
    method = "paired t interval"
    if a.size == 0:
        return Estimate(NAN, NAN, NAN, confidence, method)
    d = a - b
    estimate = float(d.mean())
    if d.size < 2 or np.all(d == d[0]):
        return Estimate(estimate, NAN, NAN, confidence, method)
    ci = stats.ttest_rel(a, b).confidence_interval(confidence_level=confidence)
    return Estimate(estimate, float(ci.low), float(ci.high), confidence, method)

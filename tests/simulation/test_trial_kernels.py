"""The compiled trial loop's per-subject summaries against the numpy closed forms."""

from __future__ import annotations

import numpy as np

from alstrial.simulation.closed_forms import subject_summaries
from alstrial.simulation.designs import load_design
from alstrial.simulation.trial_kernels import _ols_weights, _summaries
from alstrial.simulation.trials import visit_grid


def test_summaries_equal_the_closed_forms_for_every_visit_pattern():
    grid = visit_grid(load_design("randomized_lead_in"))  # 4 lead-in and 6 follow-up visits
    rng = np.random.default_rng(3)
    n, v = 400, grid.months.size
    totals = rng.integers(0, 49, (n, v)).astype(float)
    seen = rng.random((n, v)) < 0.8
    seen[:100] = True  # complete patterns take the precomputed weights
    lead_w, follow_w = np.zeros((2, v)), np.zeros((2, v))
    lead_w[0, : grid.n_lead_in] = 1.0
    follow_w[0, grid.baseline :] = 1.0
    lead_ok, follow_ok = _ols_weights(grid.months, lead_w), _ols_weights(grid.months, follow_w)
    out = [np.full((1, n), np.nan) for _ in range(3)]
    everyone = np.ones((1, n), dtype=bool)
    _summaries(
        0, n, totals, seen, grid.months, grid.n_lead_in, lead_ok, lead_w[1].copy(),
        follow_ok, follow_w[1].copy(), np.empty((2, v)), everyone, ~everyone, *out,
    )  # fmt: skip
    expected = subject_summaries(grid, totals, seen)
    for ours, theirs in zip(out, expected, strict=True):
        np.testing.assert_array_equal(np.isnan(ours[0]), np.isnan(theirs))
        np.testing.assert_allclose(ours[0], theirs, rtol=0, atol=1e-12)
    # Not vacuous: incomplete patterns, missing slopes and missing changes all occur.
    assert np.isnan(expected[1]).any()
    assert np.isfinite(expected[1]).sum() > n / 2

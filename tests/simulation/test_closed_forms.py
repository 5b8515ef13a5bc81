"""Column-wise sums and slopes give the very floats of numpy's row-wise reductions (the
vectorized engine was sped up without moving a bit)."""

from __future__ import annotations

import numpy as np
import pytest

from alstrial.simulation.closed_forms import masked_ols_slope, visit_sum


@pytest.mark.parametrize("visits", [1, 2, 4, 7, 8, 9, 10, 16, 23, 40])
def test_visit_sum_is_numpys_row_sum_bit_for_bit(visits):
    rng = np.random.default_rng(visits)
    # Magnitudes from 1e-9 to 1e9: any other order of addition would round differently.
    values = rng.standard_normal((5000, visits)) * 10.0 ** rng.integers(-9, 10, (5000, visits))
    summed = visit_sum(list(values.T))
    np.testing.assert_array_equal(summed, values.sum(axis=-1))
    if visits >= 3:  # and the order of addition does matter
        assert not np.array_equal(summed, np.roll(values, 1, axis=1).sum(axis=-1))


@pytest.mark.parametrize("visits", [4, 7, 10])
def test_masked_ols_slope_is_the_row_wise_formula_bit_for_bit(visits):
    rng = np.random.default_rng(100 + visits)
    x = np.rint(np.linspace(-3.0, 6.0, visits) * 30.4375) / 30.4375
    y = np.rint(rng.normal(35.0, 4.0, (4000, visits)))  # integer totals: many equal slopes
    mask = rng.random(y.shape) < 0.8
    # The OLS slope written row-wise with numpy's reductions over the visit axis.
    n = mask.sum(axis=1)
    safe = np.maximum(n, 1)
    xm = (mask * x).sum(axis=1) / safe
    ym = np.where(mask, y, 0.0).sum(axis=1) / safe
    dx = np.where(mask, x - xm[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    sxy = (dx * np.where(mask, y - ym[:, None], 0.0)).sum(axis=1)
    usable = (n >= 2) & (sxx > 0)
    expected = np.full(n.shape, np.nan)
    expected[usable] = sxy[usable] / sxx[usable]
    np.testing.assert_array_equal(masked_ols_slope(x, y, mask), expected)

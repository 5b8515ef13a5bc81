"""Months = days / 30.4375 (docs/domain.md, 'Months', the TRICALS convention)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alstrial.domain.time import DAYS_PER_MONTH, DAYS_PER_YEAR, days_to_months, months_to_days


def test_constants():
    assert DAYS_PER_MONTH == 30.4375
    assert DAYS_PER_YEAR == 365.25
    assert 12 * DAYS_PER_MONTH == DAYS_PER_YEAR


@pytest.mark.parametrize(
    ("days", "months"), [(0, 0.0), (30.4375, 1.0), (91.3125, 3.0), (365.25, 12.0), (-61, -2.004)]
)
def test_days_to_months(days, months):
    assert days_to_months(days) == pytest.approx(months, abs=1e-3)


def test_arrays_and_other_conventions():
    out = days_to_months([0, 30.4375, 60.875])
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [0, 1, 2])
    assert days_to_months(30, days_per_month=30) == 1
    np.testing.assert_allclose(months_to_days(np.array([1, 3])), [30.4375, 91.3125])


@given(st.floats(-1e5, 1e5, allow_nan=False))
def test_round_trip(days):
    assert months_to_days(days_to_months(days)) == pytest.approx(days, abs=1e-9)

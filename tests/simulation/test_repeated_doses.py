"""The repeated-dose effect model (``effect.duration_months``): the shift by hand, a lasting
effect unchanged, the key checked, and both engines on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import design_from_dict, load_design
from alstrial.simulation.engines import Simulation
from alstrial.simulation.trials import treatment_shift, visit_grid


def test_shift_counts_the_months_a_dose_covers():
    # doses at 0, 1 and 4 months, 2 months each: covered 0-3 and 4-6, not 3-4
    design = load_design("msc_rct").with_changes(effect_duration_months=2.0)
    grid = visit_grid(design)
    doses = (0.0, 0.9856, 4.0411)
    expected = []
    for t in grid.months:
        covered = 0.0
        # by hand: the union 0 .. 0.9856 + 2 and 4.0411 .. 6.0411, clipped to 0 .. t
        for start, end in ((doses[0], doses[1] + 2.0), (doses[2], doses[2] + 2.0)):
            covered += max(0.0, min(t, end) - start)
        expected.append(0.5 * covered)
    np.testing.assert_allclose(treatment_shift(design, grid, 0.5), expected, atol=1e-12)
    assert treatment_shift(design, grid, 0.5)[-1] < 0.5 * grid.months[-1]  # the gap costs


def test_a_lasting_effect_is_the_old_formula_exactly():
    design = load_design("msc_rct").with_changes(effect_delay_months=0.5)
    grid = visit_grid(design)
    assert math.isinf(design.effect_duration_months)
    np.testing.assert_array_equal(
        treatment_shift(design, grid, 0.4), 0.4 * np.maximum(0.0, grid.months - 0.5)
    )


def test_duration_is_read_and_checked():
    data = {
        "name": "x",
        "arms": {"treated": 10, "control": 10, "control_source": "randomized"},
        "schedule": {"lead_in_visits": [-1, 0], "follow_up_visits": [1, 2], "doses": [0, 1]},
        "effect": {"duration_months": 1.5},
        "analysis": {"primary": "welch_slope"},
    }
    assert design_from_dict(data).effect_duration_months == 1.5
    assert design_from_dict(data).to_dict()["effect_duration_months"] == 1.5
    data["effect"]["duration_months"] = 0
    with pytest.raises(ValidationError, match=r"effect\.duration_months must be > 0"):
        design_from_dict(data, "x.toml")


def test_engines_agree_with_a_waning_effect():
    design = load_design("randomized_lead_in").with_changes(
        doses=(0.0, 3.0), effect_duration_months=1.5
    )
    fast = Simulation(design, effect=0.6).run(6, seed=4)
    slow = Simulation(design, effect=0.6, engine="reference").run(6, seed=4)
    np.testing.assert_allclose(fast.estimates, slow.estimates, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.p_values, slow.p_values, rtol=0, atol=1e-9)
    lasting = Simulation(design.with_changes(effect_duration_months=math.inf), effect=0.6)
    # the waning effect adds fewer points by the end than the lasting one
    assert fast.estimates[0].mean() < lasting.run(6, seed=4).estimates[0].mean()

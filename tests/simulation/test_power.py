"""Power curves and their figure (the functions the web page is built on)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from alstrial.simulation.designs import Enrolment, load_design
from alstrial.simulation.edland import edland_power
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.plots import plot_power_curve
from alstrial.simulation.power import CURVE_COLUMNS, parse_values, power_curve

LINEAR = NaturalHistory.linear(baseline_mean=30.0, baseline_sd=3.0)


def test_power_curve_over_n_is_each_points_simulation():
    design = load_design("randomized_parallel").with_changes(dropout_per_month=0.0)
    curve = power_curve(design, "n", [20, 40], trials=300, seed=3, effect=0.4, model=LINEAR)
    assert list(curve.columns) == list(CURVE_COLUMNS)
    assert list(curve["n_treated"]) == [20, 40]
    single = Simulation(design.with_changes(n=40), model=LINEAR, effect=0.4).run(300, 3)
    assert curve["rejection_rate"].iloc[1] == single.rejection_rate
    assert curve["edland_power"].iloc[1] == pytest.approx(
        edland_power(design.with_changes(n=40), LINEAR, 0.4)
    )
    assert (curve["ci_low"] <= curve["rejection_rate"]).all()
    assert (curve["rejection_rate"] <= curve["ci_high"]).all()


def test_power_curve_over_effect_and_follow_up():
    design = load_design("randomized_lead_in")
    by_effect = power_curve(design, "effect", [0.0, 1.0], trials=200, seed=1, model=LINEAR)
    assert list(by_effect["effect"]) == [0.0, 1.0]
    assert by_effect["rejection_rate"].iloc[1] > by_effect["rejection_rate"].iloc[0]
    # Entry selects on the lead-in slope: the closed form does not apply and is left empty.
    assert by_effect["edland_power"].isna().all()
    plain = design.with_changes(enrolment=Enrolment(), dropout_per_month=0.0)
    by_follow_up = power_curve(
        plain, "follow_up", [3, 9], trials=200, seed=1, effect=0.5, model=LINEAR
    )
    assert list(by_follow_up["follow_up_months"]) == [3, 9]
    assert by_follow_up["edland_power"].iloc[1] > by_follow_up["edland_power"].iloc[0]


def test_power_curve_refuses_an_unknown_parameter():
    with pytest.raises(ValueError, match="over must be one of"):
        power_curve("kim2009", "alpha", [0.05], trials=10)


def test_plot_power_curve_draws_the_curve_band_and_closed_form():
    design = load_design("randomized_parallel").with_changes(dropout_per_month=0.0)
    curve = power_curve(design, "n", [20, 40, 60], trials=100, seed=2, effect=0.4, model=LINEAR)
    figure = plot_power_curve(curve, title="test", alpha=0.05)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    simulated = axes.lines[0]
    np.testing.assert_array_equal(simulated.get_xdata(), [20, 40, 60])
    np.testing.assert_array_equal(simulated.get_ydata(), curve["rejection_rate"])
    labels = [line.get_label() for line in axes.lines]
    assert "Edland closed form" in labels
    with pytest.raises(ValueError, match="no points"):
        plot_power_curve(curve.iloc[:0])


@pytest.mark.parametrize(
    ("text", "values"),
    [("20,30,40", [20, 30, 40]), ("10:30:10", [10, 20, 30]), ("0:1:0.25", [0, 0.25, 0.5, 0.75, 1])],
)
def test_parse_values(text, values):
    assert parse_values(text) == pytest.approx(values)


def test_power_curve_on_a_dask_cluster_is_the_same():
    from distributed import LocalCluster

    design = load_design("randomized_parallel")
    local = power_curve(design, "effect", [0.0, 0.5], trials=260, seed=6)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = power_curve(
            design, "effect", [0.0, 0.5], trials=260, seed=6, scheduler=cluster.scheduler_address
        )
    assert list(on_dask["rejection_rate"]) == list(local["rejection_rate"])
    assert list(on_dask["mean_estimate"]) == list(local["mean_estimate"])

"""The Kaplan-Meier figure: its curves are the KM table's steps, its at-risk numbers a direct
count of the subjects still followed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.survival import analyse_survival, event_times
from alstrial.analysis.survival_figure import km_figure, number_at_risk
from alstrial.domain.time import DAYS_PER_MONTH

CASE = Path(__file__).parents[1] / "reference" / "randomised" / "dropout"


def test_figure_draws_each_arm_as_its_km_steps_and_counts_at_risk():
    data = read_analysis_data(CASE / "subjects.csv", CASE / "visits.csv")
    result = analyse_survival(data)
    figure = km_figure(result)
    curves = [line for line in figure.axes[0].get_lines() if line.get_drawstyle() == "steps-post"]
    assert len(curves) == 2
    times = event_times(data)
    for line, arm in zip(curves, ("treated", "control"), strict=True):
        rows = result.km[result.km["arm"] == arm]
        np.testing.assert_allclose(line.get_ydata()[1:], rows["survival"])
        np.testing.assert_allclose(line.get_xdata()[1:], rows["time"] / DAYS_PER_MONTH)
        followed = times[times["arm"] == arm]["time"]
        for day in (0.0, 91.3, 200.0, 10_000.0):
            assert number_at_risk(rows, day) == int((followed >= day).sum())
    labels = [text.get_text() for text in figure.axes[1].texts]
    assert labels[0] == str(int((times["arm"] == "treated").sum()))

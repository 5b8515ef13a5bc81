"""Plots of power curves (matplotlib ``Figure`` objects, no pyplot state: safe in a web view).

:func:`plot_power_curve` draws a :func:`~alstrial.simulation.power.power_curve` table: the
simulated rejection rate with its Wilson 95% band, Edland's closed form where it applies, and the
significance level as a reference line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from alstrial.simulation.power import CURVE_PARAMETERS


def plot_power_curve(curve: pd.DataFrame, title: str = "", alpha: float | None = 0.05) -> Figure:
    """A figure of a power-curve table (columns of ``power.CURVE_COLUMNS``)."""
    if curve.empty:
        raise ValueError("the power curve has no points")
    over = str(curve["over"].iloc[0])
    figure = Figure(figsize=(6.0, 4.0), layout="constrained")
    axes = figure.add_subplot()
    x = curve["value"].to_numpy(dtype=float)
    axes.fill_between(
        x, curve["ci_low"], curve["ci_high"], alpha=0.25, label="95% interval (Wilson)"
    )
    axes.plot(x, curve["rejection_rate"], marker="o", label="simulated")
    closed = curve["edland_power"].to_numpy(dtype=float)
    if np.isfinite(closed).any():
        axes.plot(x, closed, linestyle="--", label="Edland closed form")
    if alpha is not None:
        axes.axhline(alpha, color="grey", linewidth=0.8, linestyle=":", label=f"alpha = {alpha}")
    axes.set_xlabel(f"{over} ({CURVE_PARAMETERS[over]})")
    axes.set_ylabel("rejection rate (power; type I error at effect 0)")
    axes.set_ylim(0.0, 1.0)
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    if title:
        axes.set_title(title)
    return figure

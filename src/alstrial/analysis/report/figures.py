"""Report figures (matplotlib, Agg backend): readable in print, grey-scale safe.

Every function returns a matplotlib ``Figure`` and never shows it; :func:`save` writes it as SVG
(for the HTML) and PNG (300 dpi). Axis labels carry units (points, months, points/month).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

TREATED_COLOUR = "#1b4f9c"
CONTROL_COLOUR = "#c0392b"
GREY = "#7f7f7f"
FONT_SIZE = 9
#: Words a clinician reads for the matching covariates (display only; data keep their names).
COVARIATE_LABELS = {
    "age_years": "Age, years",
    "disease_duration_months": "Disease duration, months",
    "baseline_alsfrs_r": "Baseline ALSFRS-R, points",
    "delta_fs": "dFS, points/month",
    "lead_in_slope": "Lead-in slope, points/month",
}


def covariate_label(name: str) -> str:
    """``onset_site=bulbar`` -> ``Onset site: bulbar``; known covariates by their words."""
    if "=" in name:
        column, level = name.split("=", 1)
        return f"{column.replace('_', ' ').capitalize()}: {level}"
    return COVARIATE_LABELS.get(name, name)


def _figure(width: float = 6.3, height: float = 3.6):
    with plt.rc_context({"font.size": FONT_SIZE}):
        figure, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return figure, ax


def love_plot(balance, ax=None, absolute: bool = True):
    """Standardized mean differences before (open circles) and after (filled) matching."""
    table = balance.table
    names = [covariate_label(str(n)) for n in table.index]
    before = table["smd_before"].to_numpy(dtype=float)
    after = table["smd_after"].to_numpy(dtype=float)
    if absolute:
        before, after = np.abs(before), np.abs(after)
    if ax is None:
        figure, ax = _figure(6.3, 0.3 * len(names) + 1.2)
    else:
        figure = ax.figure
    y = np.arange(len(names))[::-1]
    ax.scatter(
        before, y, facecolors="white", edgecolors=GREY, s=40, label="before matching", zorder=3
    )
    ax.scatter(after, y, color=TREATED_COLOUR, marker="D", s=30, label="after matching", zorder=3)
    for limit in (balance.threshold, *(() if absolute else (-balance.threshold,))):
        ax.axvline(limit, color="black", linestyle="--", linewidth=0.8)
    ax.axvline(0, color=GREY, linewidth=0.6)
    ax.set_yticks(y, names)
    label = "absolute standardized mean difference" if absolute else "standardized mean difference"
    ax.set_xlabel(f"{label} (treated SD before matching)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.legend(loc="lower right", frameon=False, fontsize=FONT_SIZE - 1)
    return figure

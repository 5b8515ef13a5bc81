"""Figures of the efficacy analysis (matplotlib), made to be read in print.

Black and grey lines with distinct markers (no colour needed), labelled axes with units, months
from the index day on the x axis (days / 30.4375).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: no display is needed or wanted

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

ARM_TITLES = {"treated": "MSC-treated", "control": "Control"}


def trajectories_figure(visits: pd.DataFrame) -> Figure:
    """Individual ALSFRS-R trajectories by arm, months from the index day (t = 0: first
    treatment or matched index day). ``visits`` as from :func:`.slopes.windowed_visits`."""
    arms = [arm for arm in ARM_TITLES if (visits["arm"] == arm).any()]
    fig, axes = plt.subplots(
        1, max(len(arms), 1), figsize=(4.2 * max(len(arms), 1), 3.6), sharey=True, squeeze=False
    )
    for ax, arm in zip(axes[0], arms, strict=False):
        group = visits[visits["arm"] == arm]
        for _, subject in group.groupby("subject_id"):
            ax.plot(
                subject["t"],
                subject["alsfrs_r_total"],
                color="0.35",
                linewidth=0.8,
                marker="o",
                markersize=2.5,
            )
        # The mean by month is drawn only where most subjects have a visit: a mean over the few
        # left would move with who is left, not with how they are doing.
        by_month = group.assign(month=group["t"].round()).groupby("month")
        mean = by_month["alsfrs_r_total"].mean()
        enough = by_month["subject_id"].nunique() >= 0.5 * group["subject_id"].nunique()
        ax.plot(
            mean.index[enough],
            mean[enough].to_numpy(),
            color="black",
            linewidth=2.4,
            label="mean by month",
        )
        ax.axvline(0, color="black", linestyle="--", linewidth=1)
        ax.set_title(f"{ARM_TITLES[arm]} (n = {group['subject_id'].nunique()})")
        ax.set_xlabel("months from index day")
        ax.grid(True, color="0.9")
        ax.legend(loc="lower left", frameon=False, fontsize=8)
    axes[0][0].set_ylabel("ALSFRS-R total (0-48)")
    fig.tight_layout()
    return fig


def paired_slopes_figure(table: pd.DataFrame) -> Figure:
    """Lead-in vs follow-up slope of every subject with both, one panel per arm (points/month;
    negative is decline). Lines join a subject's two slopes; the thick line joins the means."""
    complete = table.dropna(subset=["lead_in_slope", "follow_up_slope"])
    arms = [arm for arm in ARM_TITLES if (complete["arm"] == arm).any()]
    fig, axes = plt.subplots(
        1, max(len(arms), 1), figsize=(3.4 * max(len(arms), 1), 3.8), sharey=True, squeeze=False
    )
    for ax, arm in zip(axes[0], arms, strict=False):
        group = complete[complete["arm"] == arm]
        pairs = group[["lead_in_slope", "follow_up_slope"]].to_numpy(dtype=float)
        for pre, post in pairs:
            ax.plot([0, 1], [pre, post], color="0.5", linewidth=0.8, marker="o", markersize=3)
        ax.plot(
            [0, 1], np.mean(pairs, axis=0), color="black", linewidth=2.6, marker="s", label="mean"
        )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks([0, 1], ["lead-in", "follow-up"])
        ax.set_xlim(-0.3, 1.3)
        ax.set_title(f"{ARM_TITLES[arm]} (n = {len(group)})")
        ax.grid(True, axis="y", color="0.9")
        ax.legend(loc="best", frameon=False, fontsize=8)
    axes[0][0].set_ylabel("ALSFRS-R slope (points/month)")
    fig.tight_layout()
    return fig

"""The Kaplan-Meier figure of a randomised trial (matplotlib), made to be read in print, like
:mod:`.figures`: black and grey step curves, censoring marks, months from randomisation on the
x axis (days / 30.4375), the number at risk under it. Definitions: :mod:`.survival`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: no display is needed or wanted

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from alstrial.analysis.figures import ARM_TITLES
from alstrial.analysis.survival import SurvivalResult
from alstrial.domain.time import DAYS_PER_MONTH

STYLES = {
    "treated": {"color": "black", "linestyle": "-"},
    "control": {"color": "0.45", "linestyle": "--"},
}


def km_steps(km, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """The step curve of one arm: times (days, from 0) and survival just after each time."""
    rows = km[km["arm"] == arm]
    times = np.concatenate([[0.0], rows["time"].to_numpy(float)])
    survival = np.concatenate([[1.0], rows["survival"].to_numpy(float)])
    return times, survival


def number_at_risk(km_arm, day: float) -> int:
    """Subjects still followed at ``day`` (time >= day): the at-risk count of the first time at
    or after it in one arm's Kaplan-Meier table; 0 when everyone's follow-up ended before."""
    later = km_arm[km_arm["time"] >= day]
    return int(later["n_risk"].iloc[0]) if len(later) else 0


def km_figure(result: SurvivalResult) -> Figure:
    """Kaplan-Meier curves of time to death, tracheostomy or permanent ventilation by arm, with
    the log-rank p, the Cox hazard ratio and the number at risk at whole quarters."""
    fig, (ax, table) = plt.subplots(2, 1, figsize=(6.0, 4.4), height_ratios=(4, 1), sharex=True)
    end = 0.0
    for arm in ("treated", "control"):
        times, survival = km_steps(result.km, arm)
        months = times / DAYS_PER_MONTH
        end = max(end, months[-1])
        label = f"{ARM_TITLES[arm]} ({result.events[arm]} events / {result.subjects[arm]})"
        ax.step(months, survival, where="post", label=label, linewidth=1.6, **STYLES[arm])
        rows = result.km[(result.km["arm"] == arm) & (result.km["n_censored"] > 0)]
        ax.plot(
            rows["time"] / DAYS_PER_MONTH,
            rows["survival"],
            linestyle="none",
            marker="|",
            markersize=7,
            color=STYLES[arm]["color"],
        )
    cox = result.cox
    ax.set_title(
        f"log-rank p = {result.log_rank_p:.3g}; hazard ratio {cox['hazard_ratio']:.2f} "
        f"(95% CI {cox['ci_low']:.2f} to {cox['ci_high']:.2f})",
        fontsize=9,
    )
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("free of death, tracheostomy\nand permanent ventilation")
    ax.grid(True, color="0.9")
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    ticks = np.arange(0, end + 1e-9, 3.0)
    for row, arm in enumerate(("treated", "control")):
        group = result.km[result.km["arm"] == arm]
        for tick in ticks:
            at_risk = number_at_risk(group, tick * DAYS_PER_MONTH)
            table.text(tick, 1 - row, str(at_risk), ha="center", va="center", fontsize=8)
    table.set_yticks([1, 0], [ARM_TITLES["treated"], ARM_TITLES["control"]], fontsize=8)
    table.set_ylim(-0.5, 1.5)
    table.set_xticks(ticks)
    table.set_xlabel("months from randomisation (number at risk)")
    for side in ("top", "right", "left"):
        table.spines[side].set_visible(False)
    fig.tight_layout()
    return fig

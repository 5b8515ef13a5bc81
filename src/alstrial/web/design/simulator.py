"""What the design simulator page computes: one power curve, its plot and its table rows.

The numbers are :func:`alstrial.simulation.power.power_curve`'s, unchanged; this module only
adds what the page states beside them: the Monte Carlo standard error of each rejection rate
(``sqrt(p (1 - p) / trials)``, binomial), why Edland's closed form does not apply when it does
not (:func:`alstrial.simulation.edland.edland_problems`), the PNG of
:func:`alstrial.simulation.plots.plot_power_curve`, the table as CSV, and per point how many
trials ran short or had no test (:func:`check_point`), which the curve table does not carry.
"""

from __future__ import annotations

import base64
import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.edland import edland_problems
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.plots import plot_power_curve
from alstrial.simulation.power import CURVE_PARAMETERS, power_curve
from alstrial.simulation.trials import CHUNK_SIZE

#: The natural-history models a user may choose: label and constructor.
MODELS: dict[str, tuple[str, Callable[[], NaturalHistory]]] = {
    "literature": ("literature (docs/domain.md, 'Natural history')", NaturalHistory.literature),
    "linear": ("linear random slopes", NaturalHistory.linear),
}


@dataclass(frozen=True)
class CurveRequest:
    """One power curve: ``design`` (already changed and validated), the model's key in
    :data:`MODELS`, what varies (``over``, a key of ``CURVE_PARAMETERS``) and its ``values``,
    ``trials`` per point from ``seed``, and the effect in points/month (used unless ``over`` is
    ``"effect"``)."""

    design: Design
    model: str
    over: str
    values: tuple[float, ...]
    trials: int
    seed: int
    effect: float

    def run_curve(self) -> pd.DataFrame:
        """The :func:`power_curve` table for this request."""
        return power_curve(
            self.design,
            self.over,
            list(self.values),
            trials=self.trials,
            seed=self.seed,
            effect=None if self.over == "effect" else self.effect,
            model=MODELS[self.model][1](),
        )


@dataclass(frozen=True)
class PointCheck:
    """Of the first ``trials`` trials of a curve point: how many could not fill every place
    from the candidates screened (``short_trials``: the entry rule is too strict for
    ``enrolment.max_screened``), and how many had no test (``trials_without_test``: they count
    as not rejecting)."""

    trials: int
    short_trials: int
    trials_without_test: int

    @property
    def clean(self) -> bool:
        return not (self.short_trials or self.trials_without_test)


def check_point(request: CurveRequest, row: dict) -> PointCheck:
    """Re-run the first chunk of trials of the curve point ``row`` (a ``power_curve`` row).

    A run's chunk *k* draws from ``SeedSequence(seed, spawn_key=(k,))`` whatever the run's
    length (docs/simulation.md "Engines and reproducibility"), so these are the very trials the
    curve simulated first, and their counts are exact for them.
    """
    design = request.design
    if request.over == "n":
        design = design.with_changes(n=int(row["value"]))
    elif request.over == "follow_up":
        design = design.with_changes(follow_up_months=float(row["follow_up_months"]))
    result = Simulation(design, model=MODELS[request.model][1](), effect=row["effect"]).run(
        min(request.trials, CHUNK_SIZE), request.seed
    )
    return PointCheck(
        trials=result.trials,
        short_trials=result.short_trials,
        trials_without_test=result.primary.trials_without_test,
    )


@dataclass(frozen=True)
class CurvePage:
    """A computed curve and what the page shows of it."""

    request: CurveRequest
    curve: pd.DataFrame
    checks: tuple[PointCheck, ...]
    edland_why_not: tuple[str, ...]
    plot_png_base64: str
    seconds: float

    days_per_month: float = DAYS_PER_MONTH

    @property
    def analysis_description(self) -> str:
        return ANALYSES[self.request.design.primary].description

    @property
    def model_label(self) -> str:
        return MODELS[self.request.model][0]

    @property
    def over_label(self) -> str:
        return f"{self.request.over} ({CURVE_PARAMETERS[self.request.over]})"

    @property
    def rows(self) -> list[dict]:
        """The curve's rows, each with its Monte Carlo standard error ``mc_se`` and its
        :class:`PointCheck` ``check``."""
        return [
            {**row, "mc_se": monte_carlo_se(row["rejection_rate"], int(row["trials"])), "check": c}
            for row, c in zip(self.curve.to_dict("records"), self.checks, strict=True)
        ]

    @property
    def checked_trials(self) -> int:
        return min(self.request.trials, CHUNK_SIZE)

    @property
    def all_checks_clean(self) -> bool:
        return all(check.clean for check in self.checks)

    @property
    def max_mc_se(self) -> float:
        """The largest Monte Carlo SE any rate of this size can have (at p = 0.5)."""
        return monte_carlo_se(0.5, self.request.trials)

    def csv_base64(self) -> str:
        """The table as CSV (a download link's data URI)."""
        return base64.b64encode(self.curve.to_csv(index=False).encode()).decode("ascii")


def monte_carlo_se(rate: float, trials: int) -> float:
    """Binomial standard error of a rejection rate estimated from ``trials`` trials."""
    return math.sqrt(rate * (1.0 - rate) / trials)


def simulate(request: CurveRequest) -> CurvePage:
    """Run the curve of ``request`` and draw it."""
    started = time.perf_counter()
    curve = request.run_curve()
    checks = tuple(check_point(request, row) for row in curve.to_dict("records"))
    seconds = time.perf_counter() - started
    design = request.design
    figure = plot_power_curve(curve, title=design.name, alpha=design.alpha)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return CurvePage(
        request=request,
        curve=curve,
        checks=checks,
        edland_why_not=tuple(edland_problems(design, MODELS[request.model][1]())),
        plot_png_base64=base64.b64encode(buffer.getvalue()).decode("ascii"),
        seconds=seconds,
    )

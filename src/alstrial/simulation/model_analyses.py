"""Analyses that fit a model to the visits (``quantity = "visits"`` in ``designs.ANALYSES``):
the per-chunk hook of both engines (docs/simulation.md "Model-based analyses").

Each analysis is a :class:`ModelAnalysis`: a ``chunk`` function that analyses every trial of a
chunk at once from the vectorized engine's visit arrays (:class:`ChunkVisits`), and a ``trial``
function that analyses one trial's analysis-data tables with the analysis engine itself (the
reference engine's, and the truth the ``chunk`` function is held to, trial by trial).

``mixed_model_slope_change``: the two-arm piecewise mixed model of
:func:`alstrial.analysis.mixed.fit_piecewise` (``total ~ t + t_post + treated + treated:t +
treated:t_post + (1 + t | subject)``, REML), its ``treated:t_post`` coefficient (points/month)
and two-sided Wald p-value (normal). The chunk function fits all trials of the chunk in one
batched REML fit (:func:`alstrial.analysis.reml.fit_reml`: the trials' subjects stacked with a
trial index); the trial function runs ``fit_piecewise`` with the statsmodels engine, the
independent reference. A trial that ``fit_piecewise`` would not fit (fewer than 3 subjects with
visits, visits on one side of the first dose only, one arm only, fixed effects not estimable)
gets NaN in both.

``mmrm``: the MMRM of change from baseline at the follow-up visits (:mod:`alstrial.analysis.
mmrm`), the treated minus control LS mean difference at the last visit and its Satterthwaite
t-test p-value. The chunk function fits all trials at once (:mod:`alstrial.analysis.
mmrm_trials`); the trial function runs ``fit_mmrm`` on the trial's tables. A trial where a
follow-up visit has no treated or no control subject, or two visits share no subject, gets NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.mixed import fit_piecewise
from alstrial.analysis.mmrm import fit_mmrm
from alstrial.analysis.mmrm_trials import mmrm_differences
from alstrial.analysis.reml import fit_reml
from alstrial.analysis.reml_profile import moments_from_grid
from alstrial.analysis.settings import AnalysisSettings
from alstrial.analysis.slopes import windowed_visits
from alstrial.domain.errors import FieldError
from alstrial.simulation.designs import Design
from alstrial.simulation.trials import visit_grid


@dataclass(frozen=True)
class ChunkVisits:
    """The visits of a chunk's ``T`` trials, ``S`` subject places each, on the design's ``V``
    visits: ``months`` (V,) from the first dose (the analysis' ``t``: days / 30.4375);
    ``n_lead_in`` (the last lead-in visit is baseline, month 0); ``totals`` (T, S, V) observed
    ALSFRS-R totals, NaN where not seen; ``seen`` (T, S, V); ``treated``, ``control`` (T, S)
    (a place that is neither is empty)."""

    months: np.ndarray
    n_lead_in: int
    totals: np.ndarray
    seen: np.ndarray
    treated: np.ndarray
    control: np.ndarray


@dataclass(frozen=True)
class ModelAnalysis:
    """A model-based analysis: ``chunk(visits) -> (estimates (T,), p_values (T,))`` and
    ``trial(design, subjects, visits) -> (estimate, p_value)`` (see the module docstring)."""

    chunk: Callable[[ChunkVisits], tuple[np.ndarray, np.ndarray]]
    trial: Callable[[Design, pd.DataFrame, pd.DataFrame], tuple[float, float]]


#: The coefficient of the two-arm piecewise model that decides: treated:t_post.
SLOPE_CHANGE_COLUMN = 5


def mixed_slope_change_chunk(visits: ChunkVisits) -> tuple[np.ndarray, np.ndarray]:
    """The two-arm piecewise model of every trial of a chunk, in one batched REML fit."""
    in_model = visits.treated | visits.control
    seen = visits.seen & in_model[..., None]
    t = visits.months
    base = np.column_stack([np.ones(t.size), t, np.maximum(t, 0.0)])
    moments = moments_from_grid(visits.totals, seen, base, base[:, :2], visits.treated)
    fittable = _fittable(visits, seen, moments.totals[0])
    estimates = np.full(seen.shape[0], np.nan)
    p_values = np.full(seen.shape[0], np.nan)
    rows = np.flatnonzero(fittable)
    if rows.size:
        fits = fit_reml(moments.take(rows))
        estimate = fits.beta[:, SLOPE_CHANGE_COLUMN]
        se = fits.se[:, SLOPE_CHANGE_COLUMN]
        estimates[rows] = estimate
        p_values[rows] = 2 * stats.norm.sf(np.abs(estimate / se))
    return estimates, p_values


def _fittable(visits: ChunkVisits, seen: np.ndarray, xtx: np.ndarray) -> np.ndarray:
    """Trials ``fit_piecewise`` would fit (its ``_cannot_fit`` rules and rank check)."""
    subjects = seen.any(axis=2)
    post = visits.months > 0
    by_visit = seen.any(axis=1)  # (T, V)
    both_sides = by_visit[:, post].any(axis=1) & by_visit[:, ~post].any(axis=1)
    both_arms = (subjects & visits.treated).any(axis=1) & (subjects & visits.control).any(axis=1)
    full_rank = np.linalg.matrix_rank(xtx, hermitian=True) == xtx.shape[-1]
    return (subjects.sum(axis=1) >= 3) & both_sides & both_arms & full_rank


def mixed_slope_change_trial(
    design: Design, subjects: pd.DataFrame, visits: pd.DataFrame
) -> tuple[float, float]:
    """One trial's two-arm piecewise model by the analysis engine (statsmodels reference)."""
    data = AnalysisData.from_frames(subjects, visits)
    settings = AnalysisSettings(follow_up_days=int(visit_grid(design).days[-1]))
    windowed, _ = windowed_visits(data, settings)
    result = fit_piecewise(windowed, two_arm=True, engine="statsmodels")
    return float(result.estimate), float(result.p_value)


def mmrm_chunk(visits: ChunkVisits) -> tuple[np.ndarray, np.ndarray]:
    """The MMRM of every trial of a chunk in one batched fit (:mod:`alstrial.analysis.
    mmrm_trials`): change from baseline at the follow-up visits, the difference at the last."""
    in_model = visits.treated | visits.control
    totals = np.where(visits.seen & in_model[..., None], visits.totals, np.nan)
    result = mmrm_differences(totals, visits.treated, visits.control, visits.n_lead_in - 1)
    return result.estimate, result.p


def mmrm_trial(design: Design, subjects: pd.DataFrame, visits: pd.DataFrame) -> tuple[float, float]:
    """One trial's MMRM by the analysis engine (:func:`alstrial.analysis.mmrm.fit_mmrm`) on its
    tables, visits labelled ``BL`` (day 0) and ``M<month>``; lead-in visits are left out, so a
    subject without a day-0 visit has no baseline. NaN when a scheduled visit has no subject or
    the MMRM cannot be fitted, as in the chunk function."""
    grid = visit_grid(design)
    months = design.visit_months
    labels = {
        int(grid.days[i]): "BL" if i == grid.baseline else f"M{months[i]:g}"
        for i in range(grid.baseline, len(grid.days))
    }
    labelled = visits[visits["day"] >= 0].assign(visit=lambda v: v["day"].map(labels))
    if set(labelled["visit"]) != set(labels.values()):
        return math.nan, math.nan
    try:
        result = fit_mmrm(AnalysisData.from_frames(subjects, labelled))
    except FieldError:
        return math.nan, math.nan
    return result.treatment_difference.estimate, result.treatment_difference.p


MODEL_ANALYSES: dict[str, ModelAnalysis] = {
    "mixed_model_slope_change": ModelAnalysis(
        chunk=mixed_slope_change_chunk, trial=mixed_slope_change_trial
    ),
    "mmrm": ModelAnalysis(chunk=mmrm_chunk, trial=mmrm_trial),
}

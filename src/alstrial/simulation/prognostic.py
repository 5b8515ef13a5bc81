"""PROCOVA in the simulator: a prognostic score per subject and the ANCOVA that adjusts for it.

A design may state ``analysis.prognostic_correlation`` (rho, 0 <= rho < 1; docs/simulation.md,
'Prognostic covariate (PROCOVA)'). Each subject of a simulated trial then gets a prognostic
score correlated rho with its outcome under control, as a score from a model trained on
historical controls would be (Schuler et al. 2022, Int J Biostat 18:329-356): within the trial,
``score = rho z + sqrt(1 - rho^2) e``, where ``z`` is the subject's analysis value (slope,
slope change or change) without the treatment's noise-free effect (the analysis' target,
:func:`.results.analysis_target`), standardised over the trial's analysed subjects, and ``e``
a standard normal drawn for the subject's place. The between-arm t analyses (``welch_*``) then
become an ANCOVA, ``value ~ 1 + treated + score`` by least squares, whose ``treated``
coefficient is the estimate (units of the analysis) and whose t-test (n - 3 degrees of freedom)
the p-value. Its variance is about ``1 - rho^2`` times the unadjusted one, the closed form of
:func:`.edland.edland_power` with ``prognostic_correlation``.

The ``e`` come from their own stream, ``SeedSequence(seed, spawn_key=(chunk, CHUNK_SIZE))``
(no trial's further candidates use that key), so a design without the key draws exactly what
it drew before.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import stdtr

from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.trials import CHUNK_SIZE

#: Analyses PROCOVA adjusts: the between-arm t-tests on per-subject values.
ADJUSTED_QUANTITIES = ("follow_up_slope", "slope_change", "change")


def adjusts(design: Design, analysis: str) -> bool:
    """Whether ``analysis`` is run as an ANCOVA on the prognostic score in ``design``."""
    spec = ANALYSES[analysis]
    return (
        design.prognostic_correlation > 0
        and spec.test == "t"
        and spec.quantity in ADJUSTED_QUANTITIES
    )


def score_noise(seed: int, chunk_index: int, n_trials: int, places: int) -> np.ndarray:
    """``(T, places)`` standard normals of the scores' own part (module docstring)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk_index, CHUNK_SIZE)))
    return rng.standard_normal((n_trials, places))


def prognostic_scores(
    values: np.ndarray, treated: np.ndarray, analysed: np.ndarray, target: float, noise, rho
) -> np.ndarray:
    """``(T, S)`` scores of the analysed subjects (NaN elsewhere): ``values`` (T, S) the
    analysis' per-subject values, ``treated`` and ``analysed`` (T, S) masks, ``target`` the
    treatment's noise-free effect on the value."""
    untreated = np.where(analysed, values - target * treated, np.nan)
    count = analysed.sum(axis=1, keepdims=True)
    mean = np.nansum(untreated, axis=1, keepdims=True) / np.maximum(count, 1)
    centred = np.where(analysed, untreated - mean, 0.0)
    sd = np.sqrt((centred * centred).sum(axis=1, keepdims=True) / np.maximum(count - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = centred / sd
    return np.where(analysed, rho * z + math.sqrt(1 - rho * rho) * noise, np.nan)


def ancova_rows(values, treated, control, scores) -> tuple[np.ndarray, np.ndarray]:
    """Per trial, least squares ``value ~ 1 + treated + score`` over the subjects of either arm
    with a value: (treated coefficient, two-sided t-test p-value, n - 3 df). NaN with fewer than
    2 subjects in an arm or a singular design."""
    used = (treated | control) & ~np.isnan(values) & ~np.isnan(scores)
    ones = used.astype(float)
    x = np.stack([ones, np.where(used & treated, 1.0, 0.0), np.where(used, scores, 0.0)], axis=2)
    y = np.where(used, values, 0.0)
    xtx = np.einsum("tsi,tsj->tij", x, x)
    xty = np.einsum("tsi,ts->ti", x, y)
    n_treated = (used & treated).sum(axis=1)
    n = used.sum(axis=1)
    ok = (n_treated >= 2) & (n - n_treated >= 2) & (np.linalg.det(xtx) > 1e-9)
    estimate = np.full(n.shape, np.nan)
    p_value = np.full(n.shape, np.nan)
    if not ok.any():
        return estimate, p_value
    inverse = np.linalg.inv(xtx[ok])
    beta = np.einsum("tij,tj->ti", inverse, xty[ok])
    residual = y[ok] - np.einsum("tsi,ti->ts", x[ok], beta)
    df = n[ok] - 3
    sigma2 = (residual * residual).sum(axis=1) / df
    se = np.sqrt(sigma2 * inverse[:, 1, 1])
    estimate[ok] = beta[:, 1]
    p_value[ok] = 2.0 * stdtr(df, -np.abs(beta[:, 1] / se))
    return estimate, p_value

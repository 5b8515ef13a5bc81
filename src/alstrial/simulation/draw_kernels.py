"""Compiled (numba) random draws of the simulator's patients and noise (draw scheme 2).

Stack: numba, because numpy's array calls cost more than the work they do at this size (a
``standard_normal`` array call took 13 ns a number on the development machine, the same
generator called from compiled code 6.5 ns, bit for bit the same numbers), and because the
natural-history arithmetic of :func:`.natural_history.draw_patients` makes a dozen temporary
arrays where one pass over each patient does. Both engines use these draws, so they do not
decide anything about which engine is right; the tests hold :func:`draw_patient_matrix` to
:func:`.natural_history.draw_patients`' formulas (``tests/simulation/test_draw_kernels.py``).

The numbers are drawn from a ``numpy.random.Generator`` passed in, in blocks, in the order
the docstrings give (numba calls the generator's own bit generator and gives the numbers numpy
would). Units as in :class:`.natural_history.Patients`: months from trial entry, points,
points/month, years, % of predicted FVC.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from alstrial.simulation import sfc64
from alstrial.simulation.natural_history import MAX_TOTAL, NaturalHistory, Patients
from alstrial.simulation.sfc64 import exponential, normal, uniform


@lru_cache(maxsize=32)
def model_vector(model: NaturalHistory) -> np.ndarray:
    """The parameters :func:`_patients` reads, as one float array (numba takes no dataclass)."""
    m = model
    chol = np.linalg.cholesky(m.correlation())
    floor_start = math.nan if m.floor_start is None else m.floor_start
    return np.array(
        [
            chol[0, 0], chol[1, 0], chol[1, 1], chol[2, 0], chol[2, 1], chol[2, 2],
            m.bulbar_share, m.male_share, m.age_mean, m.age_sd, m.bulbar_age_shift,
            m.slope_mean, m.slope_sd, m.slope_skew, m.bulbar_decline_shift,
            m.acceleration_per_year, m.months_since_onset_median, m.months_since_onset_sdlog,
            m.baseline_mean, m.baseline_sd, m.fvc_mean, m.fvc_sd,
            m.survival_scale_months, m.survival_shape, m.log_hr_dfs, m.log_hr_bulbar,
            m.log_hr_age_per_decade, m.log_hr_fvc_per_10pct,
            m.dropout_rate_per_month, m.dropout_log_hr_decline, floor_start,
        ]
    )  # fmt: skip


#: Rows of the patient matrix of :func:`_patients` (float values, one column per patient).
BASELINE, SLOPE, ACCELERATION, MONTHS_SINCE_ONSET, AGE, DEATH, DROPOUT, FVC = range(8)


@njit(cache=True, nogil=True)
def _linear_part(state, n: int, p: np.ndarray):
    """Draw ``n`` patients' random numbers and do their arithmetic up to the exponentials:
    the ``(8, n)`` matrix holds final values but in rows :data:`MONTHS_SINCE_ONSET` (the
    exponent ``sdlog * z1``), :data:`DEATH` (the death exponential ``E``) and :data:`DROPOUT`
    (``-log_hr * z0``); also returns the flags and the dropout exponentials.

    Draws, patient by patient, in this order: three latent normals, the bulbar-onset uniform,
    the sex uniform, the age normal, the FVC normal, then (if the model has deaths) the death
    exponential and (if it has dropout) the dropout exponential. Patient by patient rather
    than in blocks: no temporary arrays, which at a chunk's size fall out of the cache.
    """
    dies = math.isfinite(p[22])
    leaves = p[28] > 0
    values = np.empty((8, n))
    male = np.empty(n, dtype=np.bool_)
    bulbar = np.empty(n, dtype=np.bool_)
    e_dropout = np.empty(n if leaves else 0)
    # Constants, so that the loop multiplies where draw_patients divides (division is several
    # times slower; the values differ from numpy's in the last bits).
    skew = p[13]
    skew_6, skew_36 = skew / 6.0, skew * skew / 36.0
    two_skew = 2.0 / skew if skew != 0 else 0.0
    acceleration_per_month = p[15] / 12.0
    g0, g1, g2, g3 = state[0], state[1], state[2], state[3]  # the generator (sfc64.py)
    for i in range(n):
        r0, g0, g1, g2, g3 = normal(g0, g1, g2, g3)
        r1, g0, g1, g2, g3 = normal(g0, g1, g2, g3)
        r2, g0, g1, g2, g3 = normal(g0, g1, g2, g3)
        u, g0, g1, g2, g3 = uniform(g0, g1, g2, g3)
        b = u < p[6]
        u, g0, g1, g2, g3 = uniform(g0, g1, g2, g3)
        male[i] = u < p[7]
        age_z, g0, g1, g2, g3 = normal(g0, g1, g2, g3)
        fvc_z, g0, g1, g2, g3 = normal(g0, g1, g2, g3)
        e = math.inf
        if dies:
            e, g0, g1, g2, g3 = exponential(g0, g1, g2, g3)
        values[DEATH, i] = e
        if leaves:
            e_dropout[i], g0, g1, g2, g3 = exponential(g0, g1, g2, g3)
        z0 = r0 * p[0]
        z1 = r0 * p[1] + r1 * p[2]
        z2 = r0 * p[3] + r1 * p[4] + r2 * p[5]
        bulbar[i] = b
        centred = (1.0 if b else 0.0) - p[6]
        k = z0
        if skew != 0:  # Wilson-Hilferty standardised Pearson III (natural_history._pearson3)
            w = 1.0 + skew_6 * z0 - skew_36
            k = two_skew * (w * w * w - 1.0)
        s = p[11] - p[12] * k - p[14] * centred  # signed slope = -(decline)
        values[BASELINE, i] = min(max(p[18] + p[19] * z2, 1.0), MAX_TOTAL)
        values[SLOPE, i] = s
        values[ACCELERATION, i] = s * acceleration_per_month
        values[MONTHS_SINCE_ONSET, i] = p[17] * z1
        values[AGE, i] = min(max(p[8] + p[9] * age_z + p[10] * centred, 18.0), 90.0)
        values[DROPOUT, i] = -p[29] * z0
        values[FVC, i] = min(max(p[20] + p[21] * fvc_z, 15.0), 140.0)
    state[0], state[1], state[2], state[3] = g0, g1, g2, g3
    return values, male, bulbar, e_dropout


@njit(cache=True, nogil=True)
def _death_exponent(values, bulbar, p):
    """Row :data:`DEATH` from ``log E`` to ``(log E - lp) / shape``, the Weibull PH death time being
    ``scale * exp`` of it, i.e. ``scale * (E / exp(lp)) ** (1 / shape)``
    (:func:`.natural_history.survival_linear_predictor` for ``lp``)."""
    age_hr, fvc_hr = p[26] / 10.0, p[27] / 10.0
    inverse_shape = 1.0 / p[23]
    for i in range(values.shape[1]):
        lp = (
            p[24] * ((MAX_TOTAL - values[BASELINE, i]) / values[MONTHS_SINCE_ONSET, i] - 0.6)
            + p[25] * (1.0 if bulbar[i] else 0.0)
            + age_hr * (values[AGE, i] - 56.0)
            + fvc_hr * (values[FVC, i] - 86.0)
        )
        values[DEATH, i] = (values[DEATH, i] - lp) * inverse_shape


def _finish_patients(values, male, bulbar, e_dropout, p: np.ndarray):
    """The exponentials and logarithms of :func:`_linear_part`'s matrix, over whole rows:
    numpy's vectorized ``exp``/``log`` take a fraction of the time of one call per patient.
    Returns ``(values, male, bulbar)``, the arithmetic being
    :func:`.natural_history.draw_patients`'."""
    months = values[MONTHS_SINCE_ONSET]
    np.exp(months, out=months)
    months *= p[16]  # median months since onset * exp(sdlog * z1)
    death, dropout = values[DEATH], values[DROPOUT]
    if math.isfinite(p[22]):
        np.log(death, out=death)
        _death_exponent(values, bulbar, p)
        np.exp(death, out=death)
        death *= p[22]
    if e_dropout.size:  # E / (rate * exp(log_hr * z0))
        np.exp(dropout, out=dropout)
        dropout *= e_dropout
        dropout *= 1.0 / p[28]
    else:
        dropout[:] = np.inf
    return values, male, bulbar


def _patients(state: np.ndarray, n: int, p: np.ndarray):
    """Draw ``n`` patients: a matrix ``(8, n)`` of float values (rows :data:`BASELINE` ..
    :data:`FVC`) and the bulbar-onset and male flags; the FVC slope is not drawn. Patient by
    patient, in the order of :func:`_linear_part`."""
    return _finish_patients(*_linear_part(state, n, p), p)


@njit(cache=True, nogil=True)
def _chunk_numbers(state, n_candidates, n_lead, n_places, n_follow, n_pool, n_base, n_control,
                   p):  # fmt: skip
    """Every random number of a chunk, in the order of ``trials.draw_chunk``, from the SFC64
    ``state`` (:mod:`.sfc64`), in one call: candidates, their
    lead-in noise, follow-up noise, exits, allocation numbers, then the pool, its baseline
    noise and the controls' noise (sizes 0 where the design has none)."""
    candidates = _linear_part(state, n_candidates, p)
    lead_noise = sfc64.normals(state, n_candidates * n_lead)
    follow_noise = sfc64.normals(state, n_places * n_follow)
    exits = sfc64.exponentials(state, n_places)
    allocation = sfc64.uniforms(state, n_places)
    pool = _linear_part(state, n_pool, p)
    base_noise = sfc64.normals(state, n_base)
    control_noise = sfc64.normals(state, n_control)
    return (
        candidates, lead_noise, follow_noise, exits, allocation, pool, base_noise, control_noise
    )  # fmt: skip


def chunk_numbers(state, n_candidates, n_lead, n_places, n_follow, n_pool, n_base, n_control,
                  model: NaturalHistory):  # fmt: skip
    """:func:`_chunk_numbers` with the patients finished: ``(candidates, lead_noise,
    follow_noise, exits, allocation, pool, base_noise, control_noise)``, the patients as
    ``(values, male, bulbar)``."""
    p = model_vector(model)
    numbers = list(_chunk_numbers(state, n_candidates, n_lead, n_places, n_follow, n_pool, n_base,
                                  n_control, p))  # fmt: skip
    numbers[0] = _finish_patients(*numbers[0], p)
    numbers[5] = _finish_patients(*numbers[5], p)
    return numbers


def patients_from_matrix(
    values: np.ndarray, male: np.ndarray, bulbar: np.ndarray, model: NaturalHistory
) -> Patients:
    """:class:`Patients` whose arrays are the rows of ``values`` (views, no copy)."""
    return Patients(
        age_years=values[AGE],
        male=male,
        bulbar_onset=bulbar,
        months_since_onset=values[MONTHS_SINCE_ONSET],
        baseline_total=values[BASELINE],
        slope=values[SLOPE],
        acceleration=values[ACCELERATION],
        fvc_percent=values[FVC],
        fvc_slope=np.full(values.shape[1], np.nan),
        death_month=values[DEATH],
        dropout_month=values[DROPOUT],
        model=model,
    )


def draw_patient_matrix(
    state: np.ndarray, n: int, model: NaturalHistory
) -> tuple[np.ndarray, Patients]:
    """``n`` patients from ``model`` drawn from the SFC64 ``state`` (advanced; see
    :mod:`.sfc64`): the ``(8, n)`` matrix of :func:`_patients` and the same patients as
    :class:`Patients` (views of it). ``fvc_slope`` is NaN: the simulator never observes FVC, so
    its between-patient noise is not drawn."""
    values, male, bulbar = _patients(state, n, model_vector(model))
    return values, patients_from_matrix(values, male, bulbar, model)


def patient_matrix(people: Patients) -> np.ndarray:
    """The ``(8, n)`` matrix of :func:`_patients` from :class:`Patients` (a copy)."""
    rows = {
        BASELINE: people.baseline_total,
        SLOPE: people.slope,
        ACCELERATION: people.acceleration,
        MONTHS_SINCE_ONSET: people.months_since_onset,
        AGE: people.age_years,
        DEATH: people.death_month,
        DROPOUT: people.dropout_month,
        FVC: people.fvc_percent,
    }
    return np.stack([rows[r] for r in range(len(rows))])

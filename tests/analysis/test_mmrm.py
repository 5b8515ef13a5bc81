"""The batched MMRM engine: analytic derivatives against finite differences, a batch fit equal to
one-at-a-time fits, Satterthwaite df from a numerical information matrix, and the data rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alstrial.analysis import mmrm_kernel as kernel
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.mmrm import change_from_baseline, fit_mmrm, satterthwaite
from alstrial.domain.errors import FieldError

VISITS = 4


def _datasets(batch: int, n: int = 40, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = np.stack(
        [
            np.ones((batch, n)),
            (np.arange(n) % 2 == 0) * np.ones((batch, 1)),
            rng.normal(36, 5, (batch, n)),
        ],
        axis=-1,
    )
    cov = np.array([[4, 2, 1.5, 1], [2, 5, 2.5, 2], [1.5, 2.5, 6, 3], [1, 2, 3, 8.0]])
    noise = rng.multivariate_normal(np.zeros(VISITS), cov, (batch, n))
    y = z[..., 1:2] * 0.4 * np.arange(1, VISITS + 1) - 0.03 * z[..., 2:3] + noise
    drop = rng.integers(1, VISITS + 1, (batch, n))
    y[np.arange(VISITS) >= drop[..., None]] = np.nan
    return y, z


def _numeric_gradient(function, theta: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(theta)
    for a in range(theta.shape[1]):
        shift = np.zeros(theta.shape[1])
        shift[a] = step
        grad[:, a] = (function(theta + shift) - function(theta - shift)) / (2 * step)
    return grad


def _deviance(sums, theta):
    return kernel.evaluate(sums, kernel.covariance_from_theta(theta, VISITS)[0]).deviance


def test_analytic_gradients_match_finite_differences():
    y, z = _datasets(3)
    sums = kernel.pattern_sums(y, z)
    theta = kernel.theta_from_covariance(np.tile(np.eye(VISITS) * 3 + 1, (3, 1, 1)))
    grad, _ = kernel.deviance_gradient(sums, theta)
    numeric = _numeric_gradient(lambda t: _deviance(sums, t), theta)
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-5)
    contrast = np.zeros(VISITS * 3)
    contrast[-2] = 1.0
    _, grad_v = kernel.contrast_variance_gradient(sums, theta, contrast)
    numeric_v = _numeric_gradient(
        lambda t: kernel.contrast_variance_gradient(sums, t, contrast)[0], theta
    )
    assert np.allclose(grad_v, numeric_v, rtol=1e-5, atol=1e-7)


def test_analytic_hessian_matches_finite_differences_of_the_gradient():
    y, z = _datasets(3, seed=5)
    sums = kernel.pattern_sums(y, z)
    theta = kernel.theta_from_covariance(np.tile(np.eye(VISITS) * 3 + 1, (3, 1, 1)))
    analytic = kernel.deviance_hessian(sums, theta)
    numeric = kernel.deviance_hessian_numeric(sums, theta)
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-5)


def test_batch_fit_equals_single_fits():
    y, z = _datasets(5)
    batch = kernel.fit_reml(kernel.pattern_sums(y, z))
    assert batch.converged.all()
    for b in range(5):
        single = kernel.fit_reml(kernel.pattern_sums(y[b : b + 1], z[b : b + 1]))
        assert np.allclose(single.beta[0], batch.beta[b], rtol=1e-7, atol=1e-8)
        assert single.deviance[0] == pytest.approx(batch.deviance[b], rel=1e-12)


def test_fit_is_a_stationary_point_and_a_minimum():
    y, z = _datasets(2, seed=4)
    sums = kernel.pattern_sums(y, z)
    fits = kernel.fit_reml(sums)
    rng = np.random.default_rng(0)
    for _ in range(20):
        nudged = fits.theta + rng.normal(0, 1e-3, fits.theta.shape)
        assert (_deviance(sums, nudged) >= fits.deviance - 1e-9).all()


def test_satterthwaite_df_from_numerical_information():
    y, z = _datasets(2, seed=7)
    sums = kernel.pattern_sums(y, z)
    fits = kernel.fit_reml(sums)
    contrast = np.zeros(VISITS * 3)
    contrast[-2] = 1.0
    variance, df = satterthwaite(sums, fits.theta, contrast)
    # independent: Hessian by second differences of the deviance, gradient of v by differences
    step, q = 1e-4, fits.theta.shape[1]
    hessian = np.zeros((2, q, q))
    for a in range(q):
        for c in range(q):
            ea, ec = np.eye(q)[a] * step, np.eye(q)[c] * step
            hessian[:, a, c] = (
                _deviance(sums, fits.theta + ea + ec)
                - _deviance(sums, fits.theta + ea - ec)
                - _deviance(sums, fits.theta - ea + ec)
                + _deviance(sums, fits.theta - ea - ec)
            ) / (4 * step**2)
    grad_v = _numeric_gradient(
        lambda t: kernel.contrast_variance_gradient(sums, t, contrast)[0], fits.theta
    )
    info_inverse = 2 * np.linalg.inv(hessian)  # covariance of theta = (H / 2)^-1
    expected = 2 * variance**2 / np.einsum("bi,bij,bj->b", grad_v, info_inverse, grad_v)
    assert np.allclose(df, expected, rtol=1e-4)


def _trial(rows: list[tuple], subjects: list[tuple]) -> AnalysisData:
    subject_frame = pd.DataFrame(
        [
            {
                "subject_id": sid,
                "arm": arm,
                "age_years": 60,
                "sex": "male",
                "onset_site": "spinal",
                "onset_day": -300,
                "index_day": 0,
                "death_day": None,
            }
            for sid, arm in subjects
        ]
    )
    visit_frame = pd.DataFrame(rows, columns=["subject_id", "day", "alsfrs_r_total", "visit"])
    return AnalysisData.from_frames(subject_frame, visit_frame)


def test_only_baseline_subjects_leave_and_visits_are_ordered_by_time():
    rows = [("A", 0, 40, "BL"), ("A", 300, 30, "M10"), ("A", 60, 38, "M2")]
    rows += [("B", 0, 40, "BL")]
    frame = change_from_baseline(_trial(rows, [("A", "treated"), ("B", "control")]))
    assert list(frame["visit"]) == ["M2", "M10"]
    assert list(frame["change"]) == [-2, -10]
    assert set(frame["subject_id"]) == {"A"}


def test_a_visit_without_one_arm_is_refused():
    rows = [("A", 0, 40, "BL"), ("A", 60, 38, "M2"), ("A", 90, 37, "M3")]
    rows += [("B", 0, 40, "BL"), ("B", 60, 38, "M2")]
    with pytest.raises(FieldError, match="'M3' has no control"):
        fit_mmrm(_trial(rows, [("A", "treated"), ("B", "control")]))

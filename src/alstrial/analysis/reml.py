"""Batched REML fits of the random intercept and slope model (:mod:`.reml_profile`): many
independent fits (the trials of a simulated chunk, or the one data set of an analysis) at once.

Optimisation is over the three entries of the relative Cholesky factor ``theta`` (lme4's
parametrisation), by Newton steps: the gradient is analytic (:func:`.reml_profile.profile`), the
Hessian central differences of it; where the Hessian is not negative definite it is shifted
until it is (Levenberg-Marquardt), and a step that does not raise the log-likelihood is halved.
The iterations stop when the Newton decrement ``g' (-H)^-1 g`` falls below 1e-12 (REML
log-likelihood units) or a step no longer changes ``theta``.

Boundary (singular) fits. ``theta`` is left unconstrained: ``L`` and ``L`` with a column's sign
flipped give the same covariance ``L L'``, so the log-likelihood is even in ``theta3`` and the
boundary ``theta3 = 0`` (correlation +-1, or no slope variance) is an ordinary stationary point
that Newton's method reaches quadratically; the result is then put in lme4's form (``theta1,
theta3 >= 0``, the bounds of ``lmer``'s optimiser). This is why a singular fit needs no second
optimiser here.

Checks, as lme4's ``checkConv`` (Bates et al. 2015; ``lmerControl(check.conv.grad)``): a fit is
``converged`` when its log-likelihood is finite and either ``-H`` is positive definite and the
scaled gradient ``sqrt(g' (-H)^-1 g)`` is below :data:`SCALED_GRADIENT_TOLERANCE`, or (on a flat
boundary ridge, where the scaling is unreliable) the fit is singular and the largest absolute
gradient is below :data:`GRADIENT_TOLERANCE`. ``singular`` is lme4's ``isSingular``: a diagonal
entry of the relative Cholesky factor below :data:`SINGULAR_TOLERANCE`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from alstrial.analysis.reml_profile import SubjectMoments, profile, relative_factor

SCALED_GRADIENT_TOLERANCE = 2e-3  # lme4's check.conv.grad default
GRADIENT_TOLERANCE = 1e-3  # REML log-likelihood per unit of theta
SINGULAR_TOLERANCE = 1e-4  # lme4's isSingular default
MAX_ITERATIONS = 200
MAX_HALVINGS = 40
#: Stop when the Newton decrement (expected gain, log-likelihood units) is below this.
DECREMENT_TOLERANCE = 1e-12
#: lme4's own starting value (``theta = 1, 0, 1``): the restart when the moment start fails.
LME4_START = (1.0, 0.0, 1.0)


@dataclass(frozen=True)
class RemlFits:
    """Per fit (first axis): ``theta`` (F, 3) in lme4's form, fixed effects ``beta`` (F, p),
    their model-based covariance ``beta_cov`` (F, p, p) = sigma^2 (X'V^-1 X)^-1 (the standard
    errors of lme4, nlme and SAS PROC MIXED), residual variance ``sigma2``, random-effects
    covariance ``cov_re`` (F, 2, 2) = sigma^2 L L' (intercept, slope), REML log-likelihood, the
    largest absolute and the scaled gradient, whether ``-H`` is positive definite, Newton
    iterations, the ``converged`` and ``singular`` flags (module docstring), and whether the fit
    was ``restarted`` from :data:`LME4_START`."""

    theta: np.ndarray
    beta: np.ndarray
    beta_cov: np.ndarray
    sigma2: np.ndarray
    cov_re: np.ndarray
    log_likelihood: np.ndarray
    max_abs_gradient: np.ndarray
    scaled_gradient: np.ndarray
    hessian_negative_definite: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    singular: np.ndarray
    restarted: np.ndarray  # started again from LME4_START

    @property
    def se(self) -> np.ndarray:
        """Standard errors of the fixed effects (F, p)."""
        return np.sqrt(np.diagonal(self.beta_cov, axis1=-2, axis2=-1))


def fit_reml(moments: SubjectMoments, start: np.ndarray | None = None) -> RemlFits:
    """REML fits of every fit in ``moments``; ``start`` (F, 3) defaults to :func:`moment_start`,
    and a fit that does not converge from it is restarted from :data:`LME4_START`."""
    xtx, xty, _, _ = moments.totals
    pooled = (np.linalg.pinv(xtx, hermitian=True) @ xty[..., None])[..., 0]  # OLS
    shifted = moments.minus_fit(pooled)
    theta0 = moment_start(shifted) if start is None else np.array(start, dtype=float)
    fits = _finish(shifted, *_newton(shifted, theta0))
    retry = np.flatnonzero(~fits.converged)
    if start is None and retry.size:
        sub = shifted.take(retry)
        again = _finish(sub, *_newton(sub, np.tile(LME4_START, (retry.size, 1))), True)
        better = again.converged | (
            np.nan_to_num(again.log_likelihood, nan=-np.inf)
            > np.nan_to_num(fits.log_likelihood[retry], nan=-np.inf)
        )
        fits = _replace_rows(fits, retry[better], again, np.flatnonzero(better))
    return replace(fits, beta=fits.beta + pooled)


def moment_start(moments: SubjectMoments) -> np.ndarray:
    """Starting ``theta`` (F, 3): the covariance of per-subject OLS intercepts and slopes of the
    pooled-OLS residuals, relative to the within-subject residual variance.

    lme4's default start (identity relative covariance) is far from ALSFRS-R data, whose
    intercept variance (~100 points^2) dwarfs the slope variance (~0.3 (points/month)^2)."""
    m = moments
    xtx, xty, _, n = m.totals
    p = m.n_fixed
    beta = (np.linalg.pinv(xtx, hermitian=True) @ xty[..., None])[..., 0]  # pooled OLS
    ztr = m.zty - np.einsum("fsap,fp->fsa", m.ztx, beta)
    rr = (
        m.yty
        - 2 * np.einsum("fsp,fp->fs", m.xty, beta)
        + np.einsum("fp,fspq,fq->fs", beta, m.xtx, beta)
    )
    det = m.ztz[..., 0, 0] * m.ztz[..., 1, 1] - m.ztz[..., 0, 1] ** 2
    usable = (m.visits > 2) & (det > 1e-8 * np.maximum(m.ztz[..., 0, 0] * m.ztz[..., 1, 1], 1e-300))
    safe = np.where(usable, det, 1.0)
    b0 = (m.ztz[..., 1, 1] * ztr[..., 0] - m.ztz[..., 0, 1] * ztr[..., 1]) / safe
    b1 = (m.ztz[..., 0, 0] * ztr[..., 1] - m.ztz[..., 1, 0] * ztr[..., 0]) / safe
    within = np.where(usable, rr - b0 * ztr[..., 0] - b1 * ztr[..., 1], 0.0)
    dof = np.where(usable, m.visits - 2, 0.0).sum(axis=1)
    count = usable.sum(axis=1)
    pooled = rr.sum(axis=1) / np.maximum(n - p, 1)
    scale = np.where(dof > 0, within.sum(axis=1) / np.maximum(dof, 1), pooled)
    scale = np.where(scale > 0, scale, 1.0)
    w = usable.astype(float)
    b = np.stack([b0, b1], axis=-1) * w[..., None]
    mean = b.sum(axis=1) / np.maximum(count, 1)[:, None]
    centred = (np.stack([b0, b1], axis=-1) - mean[:, None]) * w[..., None]
    cov = np.einsum("fsa,fsb->fab", centred, centred) / np.maximum(count - 1, 1)[:, None, None]
    cov = np.where((count > 2)[:, None, None], cov, np.eye(2) * scale[:, None, None])
    # Keep the start inside the parameter space (positive definite).
    trace = np.maximum(cov[:, 0, 0] + cov[:, 1, 1], 1e-6)
    cov = cov + np.eye(2) * (1e-3 * trace)[:, None, None]
    relative = cov / scale[:, None, None]
    # A degenerate data set (non-finite moments) starts where lme4 does.
    usable = np.isfinite(relative).all(axis=(1, 2))
    relative[~usable] = np.eye(2)
    factor = np.linalg.cholesky(relative)
    return np.stack([factor[:, 0, 0], factor[:, 1, 0], factor[:, 1, 1]], axis=1)


def _hessian(moments: SubjectMoments, theta: np.ndarray, fits: np.ndarray) -> np.ndarray:
    """Central differences of the analytic gradient (k, 3, 3) of fits ``fits`` at ``theta``
    (k, 3), symmetrised; the six shifted points of every fit in one evaluation."""
    k = fits.size
    step = 1e-5 * np.maximum(1.0, np.abs(theta))
    shifts = np.concatenate([np.eye(3), -np.eye(3)])  # up 0, 1, 2, then down 0, 1, 2
    points = (theta[None] + shifts[:, None, :] * step[None]).reshape(-1, 3)
    gradients = profile(points, moments, fits=np.tile(fits, 6)).gradient.reshape(6, k, 3)
    hessian = np.empty((k, 3, 3))
    for j in range(3):
        hessian[:, :, j] = (gradients[j] - gradients[3 + j]) / (2 * step[:, j : j + 1])
    return (hessian + np.swapaxes(hessian, 1, 2)) / 2


def _newton(moments: SubjectMoments, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Damped Newton ascent from ``theta`` (module docstring); returns ``theta`` and the
    iterations used, per fit."""
    theta = np.array(theta, dtype=float)
    iterations = np.zeros(theta.shape[0], dtype=np.int64)
    current = profile(theta, moments)
    llf, grad = current.log_likelihood, current.gradient
    active = np.flatnonzero(np.isfinite(llf))
    for _ in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        th, g = theta[active], grad[active]
        direction, decrement = _ascent_direction(-_hessian(moments, th, active), g)
        done = decrement < DECREMENT_TOLERANCE
        alpha = np.ones(active.size)
        new_theta, new_llf, new_grad = th.copy(), llf[active], g.copy()
        pending = np.flatnonzero(~done)
        for _ in range(MAX_HALVINGS):
            if pending.size == 0:
                break
            trial_theta = th[pending] + alpha[pending, None] * direction[pending]
            trial = profile(trial_theta, moments, fits=active[pending])
            gain = trial.log_likelihood - new_llf[pending]
            ok = np.isfinite(gain) & (gain >= 0)
            accepted = pending[ok]
            new_theta[accepted] = trial_theta[ok]
            new_llf[accepted] = trial.log_likelihood[ok]
            new_grad[accepted] = trial.gradient[ok]
            pending = pending[~ok]
            alpha[pending] /= 2
        # A fit whose step could not raise the log-likelihood even when tiny, or whose step no
        # longer changes theta, is at its optimum to machine precision.
        stalled = np.zeros(active.size, dtype=bool)
        stalled[pending] = True
        still = np.abs(new_theta - th).max(axis=1) <= 1e-12 * (1 + np.abs(th).max(axis=1))
        theta[active], llf[active], grad[active] = new_theta, new_llf, new_grad
        iterations[active] += 1
        active = active[~(done | stalled | still)]
    return theta, iterations


def _ascent_direction(curvature: np.ndarray, gradient: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton direction ``(-H + mu I)^-1 g`` per fit, ``mu`` = 0 where ``-H`` (``curvature``)
    is positive definite, else enough to make it so; and the decrement ``g' d``. A fit whose
    Hessian is not finite (the log-likelihood is undefined beside ``theta``: degenerate data)
    gets no step and a decrement of 0, which ends its iterations."""
    finite = np.isfinite(curvature).all(axis=(1, 2)) & np.isfinite(gradient).all(axis=1)
    curvature = np.where(finite[:, None, None], curvature, np.eye(3))
    gradient = np.where(finite[:, None], gradient, 0.0)
    values = np.linalg.eigvalsh(curvature)
    top = np.maximum(np.abs(values[:, -1]), 1e-12)
    shift = np.where(values[:, 0] > 1e-10 * top, 0.0, 1e-6 * top - values[:, 0])
    shifted = curvature + shift[:, None, None] * np.eye(3)
    direction = np.linalg.solve(shifted, gradient[..., None])[..., 0]
    decrement = np.einsum("fi,fi->f", gradient, direction)
    return direction, decrement


def _finish(
    moments: SubjectMoments, theta: np.ndarray, iterations: np.ndarray, restarted: bool = False
) -> RemlFits:
    """Put ``theta`` in lme4's form and compute the estimates and the convergence checks."""
    theta = canonical_theta(theta)
    final = profile(theta, moments)
    llf, grad = final.log_likelihood, final.gradient
    finite = np.isfinite(llf)
    definite = np.zeros(theta.shape[0], dtype=bool)
    scaled = np.full(theta.shape[0], np.inf)
    if finite.any():
        curvature = -_hessian(moments, theta[finite], np.flatnonzero(finite))
        known = np.isfinite(curvature).all(axis=(1, 2))
        curvature[~known] = -np.eye(3)  # not at a verified maximum (degenerate data)
        positive = np.linalg.eigvalsh(curvature)[:, 0] > 0
        rows = np.flatnonzero(finite)[positive]
        definite[rows] = True
        factor = np.linalg.cholesky(curvature[positive])
        scaled[rows] = np.linalg.norm(
            np.linalg.solve(factor, grad[rows][..., None])[..., 0], axis=1
        )
    max_gradient = np.abs(grad).max(axis=1)
    singular = np.minimum(theta[:, 0], theta[:, 2]) < SINGULAR_TOLERANCE
    converged = finite & (
        (definite & (scaled < SCALED_GRADIENT_TOLERANCE))
        | (singular & (max_gradient < GRADIENT_TOLERANCE))
    )
    factor = relative_factor(theta)
    sigma2 = final.sigma2
    return RemlFits(
        theta=theta,
        beta=final.beta,
        beta_cov=sigma2[:, None, None] * final.xvx_inverse,
        sigma2=sigma2,
        cov_re=sigma2[:, None, None] * (factor @ np.swapaxes(factor, 1, 2)),
        log_likelihood=llf,
        max_abs_gradient=max_gradient,
        scaled_gradient=scaled,
        hessian_negative_definite=definite,
        iterations=iterations,
        converged=converged,
        singular=singular & finite,
        restarted=np.full(theta.shape[0], restarted),
    )


def canonical_theta(theta: np.ndarray) -> np.ndarray:
    """The same covariance ``L L'`` with ``theta1, theta3 >= 0`` (each column of ``L`` may
    change sign without changing ``L L'``)."""
    theta = theta.copy()
    flip = theta[:, 0] < 0
    theta[flip, 0] = -theta[flip, 0]
    theta[flip, 1] = -theta[flip, 1]
    theta[:, 2] = np.abs(theta[:, 2])
    return theta


def _replace_rows(
    fits: RemlFits, rows: np.ndarray, other: RemlFits, other_rows: np.ndarray
) -> RemlFits:
    """``fits`` with its rows ``rows`` taken from ``other``'s rows ``other_rows``."""
    values = {}
    for name in RemlFits.__dataclass_fields__:
        array = getattr(fits, name).copy()
        array[rows] = getattr(other, name)[other_rows]
        values[name] = array
    return RemlFits(**values)

"""A batched REML engine for the MMRM: many datasets (e.g. every trial of a simulation chunk)
fitted at once.

Model (docs/analysis.md, "Randomised trials"): subject ``i`` has a response ``y_ij`` at some of
``V`` nominal visits and a subject-level covariate row ``z_i`` (intercept, treated, baseline);
the mean at visit ``j`` is ``z_i' beta_j`` (one coefficient vector per visit, the cell-means
form of ``change ~ visit + arm + visit:arm + baseline + visit:baseline``), and the visits of one
subject are normal with an unstructured covariance ``Sigma`` (V x V, its own variance per visit:
nlme's ``corSymm`` + ``varIdent``). Fixed effects are profiled out in closed form.

Because every row of a subject shares ``z_i``, the fixed-effects design is ``e_j (x) z_i`` and
everything the REML criterion needs reduces to sums over the subjects of one missingness
pattern ``P``: ``n_P``, ``Z'Z``, ``Z'Y`` and ``Y'Y``. A fit therefore costs a few small matrix
operations per pattern, vectorised over datasets.

The covariance is parametrised by its Cholesky factor ``Sigma = L L'`` (log of the diagonal, so
any parameter vector is a valid covariance). The criterion ``-2 log REML likelihood`` has an
analytic gradient and Hessian (below); Newton steps, damped to a descent direction, with step
halving. Convergence: the Newton decrement
``g' H^-1 g`` (invariant to the parametrisation) below 1e-10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Newton decrement below which a fit has converged (units of -2 log likelihood).
DECREMENT_TOLERANCE = 1e-10
MAX_ITERATIONS = 60
#: Central-difference step of the numerical Hessian, a check of the analytic one.
HESSIAN_STEP = 1e-5


@dataclass(frozen=True)
class PatternSums:
    """Sufficient statistics per dataset ``b`` and missingness pattern ``P``.

    ``masks`` (P, V) bool: the visits of each pattern; ``n`` (B, P) subjects; ``zz`` (B, P, m, m);
    ``zy`` (B, P, m, V); ``yy`` (B, P, V, V) (missing responses count as 0, so ``zy`` and ``yy``
    vanish outside the pattern's visits).
    """

    masks: np.ndarray
    n: np.ndarray
    zz: np.ndarray
    zy: np.ndarray
    yy: np.ndarray

    @property
    def visits(self) -> int:
        return self.masks.shape[1]

    @property
    def covariates(self) -> int:
        return self.zz.shape[-1]

    def take(self, rows: np.ndarray) -> PatternSums:
        """The sums of some datasets only."""
        return PatternSums(self.masks, self.n[rows], self.zz[rows], self.zy[rows], self.yy[rows])


def pattern_sums(y: np.ndarray, z: np.ndarray) -> PatternSums:
    """Sums from responses ``y`` (B, N, V), NaN where missing, and covariates ``z`` (B, N, m).

    Subjects without any response (a row of NaN, e.g. padding) add nothing.
    """
    observed = ~np.isnan(y)
    codes = (observed * (1 << np.arange(y.shape[2]))).sum(axis=2)
    present = np.unique(codes)
    present = present[present > 0]
    masks = ((present[:, None] >> np.arange(y.shape[2])) & 1).astype(bool)
    y0 = np.where(observed, y, 0.0)
    member = (codes[:, :, None] == present).astype(float)  # (B, N, P)
    return PatternSums(
        masks=masks,
        n=member.sum(axis=1),
        zz=np.einsum("bnP,bnr,bns->bPrs", member, z, z, optimize=True),
        zy=np.einsum("bnP,bnr,bnk->bPrk", member, z, y0, optimize=True),
        yy=np.einsum("bnP,bnj,bnk->bPjk", member, y0, y0, optimize=True),
    )


def parameter_count(visits: int) -> int:
    return visits * (visits + 1) // 2


def covariance_from_theta(theta: np.ndarray, visits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(Sigma, L)`` from parameters (B, q): lower-triangular ``L`` row by row, log diagonal."""
    rows, cols = np.tril_indices(visits)
    factor = np.zeros((theta.shape[0], visits, visits))
    values = np.where(rows == cols, np.exp(theta), theta)
    factor[:, rows, cols] = values
    return factor @ np.swapaxes(factor, 1, 2), factor


def theta_from_covariance(sigma: np.ndarray) -> np.ndarray:
    factor = np.linalg.cholesky(sigma)
    rows, cols = np.tril_indices(sigma.shape[1])
    values = factor[:, rows, cols]
    return np.where(rows == cols, np.log(np.where(rows == cols, values, 1.0)), values)


@dataclass(frozen=True)
class Evaluation:
    """The criterion at one covariance: ``deviance`` = -2 log REML likelihood without the
    constant, ``beta`` (B, V, m), ``a_inv`` (B, V*m, V*m) the covariance of ``beta``,
    ``weights`` (B, P, V, V) the inverse covariance of each pattern embedded in V x V."""

    deviance: np.ndarray
    beta: np.ndarray
    a_inv: np.ndarray
    weights: np.ndarray
    ok: np.ndarray


def evaluate(sums: PatternSums, sigma: np.ndarray) -> Evaluation:
    """Profile the fixed effects at covariance ``sigma`` (B, V, V)."""
    batch, visits, m = sigma.shape[0], sums.visits, sums.covariates
    weights = np.zeros((batch, len(sums.masks), visits, visits))
    log_det = np.zeros(batch)
    ok = np.ones(batch, dtype=bool)
    for p, mask in enumerate(sums.masks):
        index = np.flatnonzero(mask)
        block = sigma[:, index[:, None], index]
        chol, good = _safe_cholesky(block)
        ok &= good
        inverse = np.linalg.inv(chol)
        weights[:, p, index[:, None], index] = np.swapaxes(inverse, 1, 2) @ inverse
        log_det += sums.n[:, p] * 2 * np.log(np.abs(np.diagonal(chol, axis1=1, axis2=2))).sum(1)
    size = visits * m
    a = np.einsum("bPjk,bPrs->bjrks", weights, sums.zz, optimize=True).reshape(batch, size, size)
    rhs = np.einsum("bPjk,bPrk->bjr", weights, sums.zy, optimize=True).reshape(batch, size)
    y_w_y = np.einsum("bPjk,bPjk->b", weights, sums.yy, optimize=True)
    a_chol, good = _safe_cholesky(a)
    ok &= good
    a_chol_inv = np.linalg.inv(a_chol)
    a_inv = np.swapaxes(a_chol_inv, 1, 2) @ a_chol_inv
    beta = np.einsum("bij,bj->bi", a_inv, rhs)
    a_log_det = 2 * np.log(np.abs(np.diagonal(a_chol, axis1=1, axis2=2))).sum(1)
    deviance = log_det + a_log_det + y_w_y - np.einsum("bi,bi->b", beta, rhs)
    deviance = np.where(ok, deviance, np.inf)
    return Evaluation(deviance, beta.reshape(batch, visits, m), a_inv, weights, ok)


def _safe_cholesky(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factors, with the identity (and ``False``) where a matrix is not positive
    definite, so one bad dataset does not stop the batch."""
    eigen_min = np.linalg.eigvalsh(matrices)[:, 0]
    scale = np.abs(np.diagonal(matrices, axis1=1, axis2=2)).max(axis=1)
    good = np.isfinite(eigen_min) & (eigen_min > 1e-12 * np.maximum(scale, 1e-300))
    safe = np.where(good[:, None, None], matrices, np.eye(matrices.shape[1]))
    return np.linalg.cholesky(safe), good


def residual_products(sums: PatternSums, beta: np.ndarray) -> np.ndarray:
    """``sum_i r_ij r_ik`` per pattern (B, P, V, V) at fixed effects ``beta`` (B, V, m)."""
    fitted_y = np.einsum("bjr,bPrk->bPjk", beta, sums.zy, optimize=True)
    fitted_fitted = np.einsum("bjr,bPrs,bks->bPjk", beta, sums.zz, beta, optimize=True)
    return sums.yy - fitted_y - np.swapaxes(fitted_y, 2, 3) + fitted_fitted


def deviance_gradient(sums: PatternSums, theta: np.ndarray) -> tuple[np.ndarray, Evaluation]:
    """The analytic gradient of the deviance in ``theta`` (B, q).

    With ``W_P`` the embedded inverse of a pattern's covariance, ``d deviance / d W_P[j, k] =
    G_P[j, k] = tr(A^-1 (E_jk (x) Z'Z)) + sum_i r_ij r_ik`` (the fixed effects are at their
    optimum, so their own change drops out), ``dW = -W dSigma W``, hence ``d deviance / d Sigma
    = sum_P (n_P W_P - W_P G_P W_P)`` and, with ``Sigma = L L'``, ``d / dL = 2 D L``.
    """
    visits, m = sums.visits, sums.covariates
    sigma, factor = covariance_from_theta(theta, visits)
    ev = evaluate(sums, sigma)
    batch = theta.shape[0]
    a_inv = ev.a_inv.reshape(batch, visits, m, visits, m)
    trace_term = np.einsum("bjrks,bPrs->bPjk", a_inv, sums.zz, optimize=True)
    g = trace_term + residual_products(sums, ev.beta)
    w_g_w = ev.weights @ g @ ev.weights
    d_sigma = np.einsum("bP,bPjk->bjk", sums.n, ev.weights) - w_g_w.sum(axis=1)
    return _chain_to_theta(d_sigma, factor), ev


def _chain_to_theta(d_sigma: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """A derivative in the symmetric ``Sigma`` carried to the Cholesky parameters."""
    visits = factor.shape[1]
    d_factor = 2 * d_sigma @ factor
    rows, cols = np.tril_indices(visits)
    grad = d_factor[:, rows, cols]
    return np.where(rows == cols, grad * factor[:, rows, cols], grad)


def contrast_variance_gradient(
    sums: PatternSums, theta: np.ndarray, contrast: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``v = c' A^-1 c`` (the variance of a contrast of ``beta``) and its gradient in ``theta``.

    ``dv / dW_P[j, k] = -u_j' Z'Z u_k`` with ``u = A^-1 c`` reshaped (V, m); chained as in
    :func:`deviance_gradient`.
    """
    visits, m = sums.visits, sums.covariates
    sigma, factor = covariance_from_theta(theta, visits)
    ev = evaluate(sums, sigma)
    u = np.einsum("bij,j->bi", ev.a_inv, contrast)
    variance = u @ contrast
    u = u.reshape(-1, visits, m)
    h = np.einsum("bjr,bPrs,bks->bPjk", u, sums.zz, u, optimize=True)
    d_sigma = (ev.weights @ h @ ev.weights).sum(axis=1)
    return variance, _chain_to_theta(d_sigma, factor)


def deviance_hessian(sums: PatternSums, theta: np.ndarray) -> np.ndarray:
    """The analytic Hessian (B, q, q) of the deviance in ``theta``."""
    return gradient_and_hessian(sums, theta)[1]


def _covariance_directions(factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dSigma / dtheta_a`` (B, q, V, V) and ``dL / dtheta_a`` (B, q, V, V)."""
    batch, visits = factor.shape[0], factor.shape[1]
    rows, cols = np.tril_indices(visits)
    d_factor = np.zeros((batch, len(rows), visits, visits))
    a = np.arange(len(rows))
    d_factor[:, a, rows, cols] = np.where(rows == cols, factor[:, rows, cols], 1.0)
    product = d_factor @ np.swapaxes(factor, 1, 2)[:, None]
    return product + np.swapaxes(product, 2, 3), d_factor


def gradient_and_hessian(
    sums: PatternSums, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Evaluation]:
    """Gradient (B, q) and analytic Hessian (B, q, q) of the deviance in ``theta``.

    In a direction ``E`` of the covariance, with ``P`` the REML projection, the deviance has
    first derivative ``tr(P E) - y'P E P y`` and second ``-tr(P E P F) + 2 y'P E P F P y``
    (the covariance is linear in itself); every trace reduces to pattern sums as in
    :func:`evaluate`. The Cholesky parametrisation adds ``tr(D d2Sigma)``, with ``D`` the
    derivative in ``Sigma``.
    """
    visits, m = sums.visits, sums.covariates
    sigma, factor = covariance_from_theta(theta, visits)
    ev = evaluate(sums, sigma)
    batch, size = theta.shape[0], visits * m
    w = ev.weights
    a_inv5 = ev.a_inv.reshape(batch, visits, m, visits, m)
    trace_term = np.einsum("bjrks,bPrs->bPjk", a_inv5, sums.zz, optimize=True)
    residual = residual_products(sums, ev.beta)
    d_sigma = np.einsum("bP,bPjk->bjk", sums.n, w) - (w @ (trace_term + residual) @ w).sum(1)
    grad = _chain_to_theta(d_sigma, factor)

    directions, d_factor = _covariance_directions(factor)
    q, patterns = directions.shape[1], w.shape[1]
    # M[a, P] = W_P Sigma_a W_P; sums over patterns are taken before the last product
    w_dir = w[:, None] @ directions[:, :, None]  # (B, q, P, V, V)
    m_a = w_dir @ w[:, None]
    trace_ww = _pair_traces(np.einsum("bP,baPjk->bajk", sums.n, m_a), directions)
    projected = w @ trace_term @ w
    cross = _pair_traces((w_dir @ projected[:, None]).sum(2), directions)
    # G_a = sum_P M_a,P (x) Z'Z_P as (V m) x (V m), then tr(A^-1 G_a A^-1 G_c)
    g = np.swapaxes(m_a.reshape(batch, q, patterns, visits * visits), 2, 3) @ sums.zz.reshape(
        batch, 1, patterns, m * m
    )
    g = g.reshape(batch, q, visits, visits, m, m).transpose(0, 1, 2, 4, 3, 5)
    a_inv_g = ev.a_inv[:, None] @ g.reshape(batch, q, size, size)
    trace_agag = a_inv_g.reshape(batch, q, -1) @ np.swapaxes(a_inv_g, 2, 3).reshape(
        batch, q, -1
    ).transpose(0, 2, 1)
    trace_pepf = trace_ww - cross - np.swapaxes(cross, 1, 2) + trace_agag
    # r' W E W F W r summed over subjects: tr(W_P Sigma_a W_P Sigma_c W_P S_P)
    w_residual = w @ residual
    quad_1 = _pair_traces((w_residual[:, None] @ m_a).sum(2), directions, transpose=True)
    r_z = sums.zy - np.einsum("bPrs,bks->bPrk", sums.zz, ev.beta, optimize=True)
    h = (m_a @ np.swapaxes(r_z, 2, 3)[:, None]).sum(2).reshape(batch, q, size)
    quad_2 = h @ ev.a_inv @ np.swapaxes(h, 1, 2)
    hessian = -trace_pepf + 2 * (quad_1 - quad_2)

    # second derivatives of Sigma = L L': dL_a dL_c' + dL_c dL_a', and the log diagonal
    rows, cols = np.tril_indices(visits)
    scale = d_factor[:, np.arange(len(rows)), rows, cols]  # (B, q)
    same_col = (cols[:, None] == cols[None, :]).astype(float)
    d_rows = d_sigma[:, rows[:, None], rows[None, :]]
    hessian += 2 * scale[:, :, None] * scale[:, None, :] * d_rows * same_col
    hessian += np.einsum("ba,ac->bac", grad * (rows == cols), np.eye(len(rows)))
    return grad, (hessian + np.swapaxes(hessian, 1, 2)) / 2, ev


def _pair_traces(left: np.ndarray, right: np.ndarray, transpose: bool = False) -> np.ndarray:
    """``tr(left_a right_c)`` (or ``tr(left_a' right_c)``) for all pairs: (B, q, q)."""
    batch, q = left.shape[0], left.shape[1]
    first = (left if transpose else np.swapaxes(left, 2, 3)).reshape(batch, q, -1)
    return first @ right.reshape(batch, right.shape[1], -1).transpose(0, 2, 1)


def deviance_hessian_numeric(sums: PatternSums, theta: np.ndarray) -> np.ndarray:
    """Hessian (B, q, q) by central differences of the analytic gradient (a check)."""
    q = theta.shape[1]
    steps = np.eye(q) * HESSIAN_STEP
    hessian = np.empty((theta.shape[0], q, q))
    for a in range(q):
        forward, _ = deviance_gradient(sums, theta + steps[a])
        backward, _ = deviance_gradient(sums, theta - steps[a])
        hessian[:, a, :] = (forward - backward) / (2 * HESSIAN_STEP)
    return (hessian + np.swapaxes(hessian, 1, 2)) / 2


def starting_covariance(sums: PatternSums) -> np.ndarray:
    """Per-visit least squares, then the residual covariance over the subjects seen at both
    visits; correlations are shrunk towards 0 until the matrix is positive definite."""
    masks = sums.masks.astype(float)
    both = np.einsum("Pj,Pk->Pjk", masks, masks)
    zz_visit = np.einsum("Pj,bPrs->bjrs", masks, sums.zz)
    zy_visit = np.einsum("bPrj->bjr", sums.zy)
    with np.errstate(all="ignore"):
        beta = np.linalg.solve(
            zz_visit + 1e-10 * np.eye(sums.covariates), zy_visit[..., None]
        ).squeeze(-1)
    products = (residual_products(sums, beta) * both).sum(axis=1)
    counts = np.einsum("bP,Pjk->bjk", sums.n, both)
    covariance = products / np.maximum(counts, 1)
    sd = np.sqrt(np.maximum(np.diagonal(covariance, axis1=1, axis2=2), 1e-8))
    correlation = covariance / sd[:, :, None] / sd[:, None, :]
    start = np.empty_like(covariance)
    for rows_left in (np.arange(len(start)),):
        for shrink in (1.0, 0.8, 0.5, 0.0):
            trial = correlation[rows_left] * shrink + np.eye(sums.visits) * (1 - shrink)
            np.einsum("bjj->bj", trial)[:] = 1.0
            good = np.linalg.eigvalsh(trial)[:, 0] > 1e-6
            start[rows_left[good]] = trial[good]
            rows_left = rows_left[~good]
            if not len(rows_left):
                break
    return start * sd[:, :, None] * sd[:, None, :]


@dataclass(frozen=True)
class RemlFits:
    """Fits of B datasets: ``theta`` (B, q), ``sigma`` (B, V, V), ``beta`` (B, V, m), ``a_inv``
    (B, V*m, V*m), ``deviance`` (B,), ``hessian`` (B, q, q) of the deviance at the optimum,
    ``converged`` (B,), ``iterations`` (B,)."""

    theta: np.ndarray
    sigma: np.ndarray
    beta: np.ndarray
    a_inv: np.ndarray
    deviance: np.ndarray
    hessian: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray

    def log_likelihood(self, sums: PatternSums) -> np.ndarray:
        """The REML log-likelihood with the constant ``(N - p) log 2 pi`` and the term
        ``+ 1/2 log |X'X|`` that makes it independent of how the fixed effects are coded (nlme's
        ``logLik`` leaves that term out, so its value depends on its treatment coding)."""
        observations = np.einsum("bP,Pj->b", sums.n, sums.masks.astype(float))
        p = sums.visits * sums.covariates
        xtx = np.einsum("Pj,bPrs->bjrs", sums.masks.astype(float), sums.zz)
        xtx_log_det = np.linalg.slogdet(xtx)[1].sum(axis=1)
        return -0.5 * (self.deviance + (observations - p) * math.log(2 * math.pi) - xtx_log_det)


def fit_reml(sums: PatternSums) -> RemlFits:
    """REML fits of every dataset in ``sums`` (damped Newton, step halving)."""
    batch = sums.n.shape[0]
    theta = theta_from_covariance(starting_covariance(sums))
    q = theta.shape[1]
    converged = np.zeros(batch, dtype=bool)
    iterations = np.zeros(batch, dtype=int)
    hessian = np.zeros((batch, q, q))
    active = np.arange(batch)
    for _ in range(MAX_ITERATIONS):
        if not len(active):
            break
        part = sums.take(active)
        grad, h, ev = gradient_and_hessian(part, theta[active])
        hessian[active] = h
        step, decrement = _newton_step(h, grad)
        done = decrement < DECREMENT_TOLERANCE
        converged[active[done]] = True
        iterations[active] += 1
        moving = ~done & ev.ok
        theta[active[moving]] = _halve_until_lower(
            part.take(np.flatnonzero(moving)),
            theta[active[moving]],
            step[moving],
            ev.deviance[moving],
        )
        active = active[moving]
    sigma, _ = covariance_from_theta(theta, sums.visits)
    final = evaluate(sums, sigma)
    return RemlFits(
        theta, sigma, final.beta, final.a_inv, final.deviance, hessian, converged, iterations
    )


def _newton_step(hessian: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A descent step ``-(H + lambda I)^-1 g`` (lambda makes the matrix positive definite) and the
    Newton decrement ``g' (H + lambda I)^-1 g``."""
    values, vectors = np.linalg.eigh(hessian)
    floor = 1e-8 * np.maximum(np.abs(values).max(axis=1, keepdims=True), 1.0)
    values = np.maximum(np.abs(values), floor)  # flip negative curvature, lift flat directions
    g_rot = np.einsum("bji,bj->bi", vectors, grad)
    step = -np.einsum("bij,bj->bi", vectors, g_rot / values)
    return step, (g_rot**2 / values).sum(axis=1)


def _halve_until_lower(
    sums: PatternSums, theta: np.ndarray, step: np.ndarray, deviance: np.ndarray
) -> np.ndarray:
    """Take the full step, halving it (up to 40 times) where the deviance would rise."""
    scale = np.ones(len(theta))
    pending = np.arange(len(theta))
    result = theta.copy()
    for _ in range(40):
        if not len(pending):
            break
        candidate = theta[pending] + scale[pending, None] * step[pending]
        sigma, _ = covariance_from_theta(candidate, sums.visits)
        new = evaluate(sums.take(pending), sigma).deviance
        lower = new <= deviance[pending] + 1e-12 * np.abs(deviance[pending])
        result[pending[lower]] = candidate[lower]
        pending = pending[~lower]
        scale[pending] /= 2
    return result

"""Kenward-Roger inference for one contrast of the MMRM (Kenward & Roger 1997, as SAS's
``DDFM=KR`` computes it for an unstructured covariance).

The covariance parameters are the entries ``sigma_jk`` of the unstructured covariance (SAS's
parametrisation, in which the covariance is linear, so the second-derivative term ``R`` of the
adjustment is zero). ``W`` is the inverse observed REML information in these parameters.

- adjusted covariance of ``beta``: ``Phi_A = Phi + 2 Phi {sum_hj W_hj (Q_hj - P_h Phi P_j)} Phi``
  with ``P_h = X' dOmega^-1/dtheta_h X`` and ``Q_hj = X' Omega^-1 Omega_h Omega^-1 Omega_j
  Omega^-1 X``; the standard error reported is ``sqrt(l' Phi_A l)`` (KR-adjusted).
- degrees of freedom of a single contrast ``l``: the KR moment matching reduces to
  ``2 / (a' W a)``, ``a_h = l' Phi P_h Phi l / l' Phi l``, which equals the Satterthwaite df of
  the unadjusted variance ``l' Phi l``.

Every ``X' M X`` is a sum over missingness patterns of ``M_P (x) Z_P'Z_P`` (see
:mod:`.mmrm_kernel`), so nothing of size N x N is formed.
"""

from __future__ import annotations

import numpy as np

from alstrial.analysis import mmrm_kernel as kernel


def _linear_directions(visits: int) -> list[np.ndarray]:
    """``dSigma / dsigma_jk`` for the entries ``j >= k`` (row by row, as the Cholesky order)."""
    directions = []
    for j, k in zip(*np.tril_indices(visits), strict=True):
        unit = np.zeros((visits, visits))
        unit[j, k] = unit[k, j] = 1.0
        directions.append(unit)
    return directions


def _cholesky_to_linear(factor: np.ndarray) -> np.ndarray:
    """Jacobian ``d sigma_lin / d theta_chol`` (q x q) at one Cholesky factor ``L``."""
    visits = factor.shape[0]
    rows, cols = np.tril_indices(visits)
    jacobian = np.zeros((len(rows), len(rows)))
    for b, (a, c) in enumerate(zip(rows, cols, strict=True)):
        d_factor = np.zeros((visits, visits))
        d_factor[a, c] = factor[a, c] if a == c else 1.0  # log-diagonal parameters
        d_sigma = d_factor @ factor.T + factor @ d_factor.T
        jacobian[:, b] = d_sigma[rows, cols]
    return jacobian


def kenward_roger(
    sums: kernel.PatternSums, fits: kernel.RemlFits, contrast: np.ndarray
) -> tuple[float, float]:
    """KR-adjusted standard error and KR degrees of freedom of ``contrast' beta`` (one dataset)."""
    visits, m = sums.visits, sums.covariates
    one = sums.take(np.array([0]))
    sigma, factor = kernel.covariance_from_theta(fits.theta[:1], visits)
    ev = kernel.evaluate(one, sigma)
    weights = ev.weights[0]  # (P, V, V)
    zz = one.zz[0]  # (P, m, m)
    phi = ev.a_inv[0]
    hessian = kernel.deviance_hessian(one, fits.theta[:1])[0]
    jacobian = _cholesky_to_linear(factor[0])
    # the deviance is -2 log L: information = H / 2, and W transforms with the Jacobian
    w_chol = np.linalg.inv(hessian / 2)
    w = jacobian @ w_chol @ jacobian.T
    directions = _linear_directions(visits)
    # W_P Omega_h W_P per pattern and parameter: (q, P, V, V)
    sandwiched = np.array([weights @ d @ weights for d in directions])
    u = phi @ contrast
    u_visit = u.reshape(visits, m)
    # T_P[j, k] = u_j' Z'Z_P u_k, so that u' (M (x) Z'Z_P) u = <M, T_P>
    t = np.einsum("jr,Prs,ks->Pjk", u_visit, zz, u_visit)
    # P_h u = -sum_P (W Omega_h W (x) Z'Z_P) u
    p_u = -np.einsum("hPjk,Prs,ks->hjr", sandwiched, zz, u_visit).reshape(len(directions), -1)
    variance = float(contrast @ u)
    correction = 0.0
    for h in range(len(directions)):
        for j, dj in enumerate(directions):
            q_hj = np.einsum("Pjk,Pjk->", sandwiched[h] @ dj @ weights, t)
            correction += w[h, j] * (q_hj - p_u[h] @ phi @ p_u[j])
    adjusted = variance + 2 * correction
    a = -np.array([u @ p for p in p_u]) / variance  # l' Phi P_h Phi l / l' Phi l
    df = 2.0 / float(a @ w @ a)
    return float(np.sqrt(adjusted)), df

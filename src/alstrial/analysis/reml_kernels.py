"""Compiled (numba) loop of the profiled REML log-likelihood and its gradient: the algebra of
:mod:`.reml_profile` written out per subject, one 2 x 2 block at a time.

Why compiled: the per-subject work is a handful of 2 x 2 and 2 x p products; numpy's stacked
matrix products spend far more on their per-call and per-matrix overhead than on that arithmetic
(about 30 times slower at 1,000 subjects). No ``fastmath``: the sums are numpy's order-independent
results only to rounding, and the tests compare them to finite differences and to lme4.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LOG_2PI = math.log(2 * math.pi)


@njit(cache=True, nogil=True)
def profile_fits(
    fits,  # (k,) which fits (rows of the moment arrays) to evaluate
    theta,  # (k, 3) relative Cholesky factor (L11, L21, L22) of each
    ztz,  # (F, S, 2, 2)
    ztx,  # (F, S, 2, p)
    zty,  # (F, S, 2)
    xtx,  # (F, p, p) summed over subjects
    xty,  # (F, p)
    yty,  # (F,)
    n_visits,  # (F,)
    want_gradient,
    out_llf,  # (k,)
    out_gradient,  # (k, 3)
    out_beta,  # (k, p)
    out_xvx_inverse,  # (k, p, p)
    out_sigma2,  # (k,)
):
    """Evaluate fits ``fits`` at ``theta``; NaN where ``X'V^-1 X`` is not positive definite or
    the residual sum of squares is not positive."""
    n_subjects = ztz.shape[1]
    p = ztx.shape[3]
    mids = np.empty((n_subjects, 3))  # L A^-1 L' of each subject: (m00, m01, m11)
    xvx = np.empty((p, p))
    xvy = np.empty(p)
    mz = np.empty((2, p))
    w = np.empty((2, p))
    wc = np.empty((2, p))
    for k in range(fits.size):
        f = fits[k]
        l11, l21, l22 = theta[k, 0], theta[k, 1], theta[k, 2]
        for i in range(p):
            xvy[i] = xty[f, i]
            for j in range(p):
                xvx[i, j] = xtx[f, i, j]
        yvy = yty[f]
        log_det = 0.0
        for s in range(n_subjects):
            q00, q01, q11 = ztz[f, s, 0, 0], ztz[f, s, 0, 1], ztz[f, s, 1, 1]
            if q00 == 0.0:  # no visits (padding)
                mids[s, 0] = mids[s, 1] = mids[s, 2] = 0.0
                continue
            # A = L' Q L + I with L = [[l11, 0], [l21, l22]]
            a00 = l11 * (q00 * l11 + q01 * l21) + l21 * (q01 * l11 + q11 * l21) + 1.0
            a01 = l22 * (q01 * l11 + q11 * l21)
            a11 = l22 * q11 * l22 + 1.0
            det = a00 * a11 - a01 * a01
            log_det += math.log(det)
            i00, i01, i11 = a11 / det, -a01 / det, a00 / det
            # M = L A^-1 L'
            m00 = l11 * i00 * l11
            m01 = l11 * (i00 * l21 + i01 * l22)
            m11 = l21 * (i00 * l21 + i01 * l22) + l22 * (i01 * l21 + i11 * l22)
            mids[s, 0], mids[s, 1], mids[s, 2] = m00, m01, m11
            y0, y1 = zty[f, s, 0], zty[f, s, 1]
            my0, my1 = m00 * y0 + m01 * y1, m01 * y0 + m11 * y1
            yvy -= y0 * my0 + y1 * my1
            for j in range(p):
                x0, x1 = ztx[f, s, 0, j], ztx[f, s, 1, j]
                mz[0, j] = m00 * x0 + m01 * x1
                mz[1, j] = m01 * x0 + m11 * x1
                xvy[j] -= x0 * my0 + x1 * my1
            for i in range(p):
                x0, x1 = ztx[f, s, 0, i], ztx[f, s, 1, i]
                for j in range(i, p):
                    xvx[i, j] -= x0 * mz[0, j] + x1 * mz[1, j]
        for i in range(p):
            for j in range(i):
                xvx[i, j] = xvx[j, i]
        chol = _cholesky(xvx)
        if chol[0, 0] != chol[0, 0]:  # NaN: not positive definite
            _missing(k, out_llf, out_gradient, out_beta, out_xvx_inverse, out_sigma2)
            continue
        inverse = _cholesky_inverse(chol)
        r2 = yvy
        log_det_xvx = 0.0
        for i in range(p):
            log_det_xvx += 2.0 * math.log(chol[i, i])
            total = 0.0
            for j in range(p):
                total += inverse[i, j] * xvy[j]
            out_beta[k, i] = total
        for i in range(p):
            r2 -= out_beta[k, i] * xvy[i]
        df = n_visits[f] - p
        if not r2 > 0.0 or not df > 0:
            _missing(k, out_llf, out_gradient, out_beta, out_xvx_inverse, out_sigma2)
            continue
        out_llf[k] = -0.5 * (log_det + log_det_xvx + df * (1.0 + LOG_2PI + math.log(r2 / df)))
        out_sigma2[k] = r2 / df
        for i in range(p):
            for j in range(p):
                out_xvx_inverse[k, i, j] = inverse[i, j]
        if want_gradient:
            _gradient(k, f, theta, ztz, ztx, zty, mids, inverse, out_beta, df / r2, w, wc,
                      out_gradient)  # fmt: skip


@njit(cache=True, nogil=True)
def _gradient(k, f, theta, ztz, ztx, zty, mids, inverse, beta, weight, w, wc, out_gradient):
    """dl/dtheta = the free entries of 2 G L, G = -1/2 sum_i [Z'V^-1 Z - W C W' - weight u u']
    (:mod:`.reml_profile`), ``weight`` = (n - p) / r^2."""
    n_subjects = ztz.shape[1]
    p = ztx.shape[3]
    g00 = g01 = g11 = 0.0
    for s in range(n_subjects):
        q00, q01, q11 = ztz[f, s, 0, 0], ztz[f, s, 0, 1], ztz[f, s, 1, 1]
        if q00 == 0.0:
            continue
        m00, m01, m11 = mids[s, 0], mids[s, 1], mids[s, 2]
        # K = Q M (not symmetric); Z'V^-1 Z = Q - K Q; W = Z'X - K Z'X; u = Z'V^-1 (y - X b)
        k00, k01 = q00 * m00 + q01 * m01, q00 * m01 + q01 * m11
        k10, k11 = q01 * m00 + q11 * m01, q01 * m01 + q11 * m11
        v00 = q00 - (k00 * q00 + k01 * q01)
        v01 = q01 - (k00 * q01 + k01 * q11)
        v11 = q11 - (k10 * q01 + k11 * q11)
        y0, y1 = zty[f, s, 0], zty[f, s, 1]
        u0 = y0 - (k00 * y0 + k01 * y1)
        u1 = y1 - (k10 * y0 + k11 * y1)
        for j in range(p):
            x0, x1 = ztx[f, s, 0, j], ztx[f, s, 1, j]
            w[0, j] = x0 - (k00 * x0 + k01 * x1)
            w[1, j] = x1 - (k10 * x0 + k11 * x1)
            u0 -= w[0, j] * beta[k, j]
            u1 -= w[1, j] * beta[k, j]
        for j in range(p):
            c0 = 0.0
            c1 = 0.0
            for i in range(p):
                c0 += w[0, i] * inverse[i, j]
                c1 += w[1, i] * inverse[i, j]
            wc[0, j] = c0
            wc[1, j] = c1
        s00 = s01 = s11 = 0.0
        for j in range(p):
            s00 += wc[0, j] * w[0, j]
            s01 += wc[0, j] * w[1, j]
            s11 += wc[1, j] * w[1, j]
        g00 += v00 - s00 - weight * u0 * u0
        g01 += v01 - s01 - weight * u0 * u1
        g11 += v11 - s11 - weight * u1 * u1
    g00, g01, g11 = -0.5 * g00, -0.5 * g01, -0.5 * g11
    l11, l21, l22 = theta[k, 0], theta[k, 1], theta[k, 2]
    # 2 G L at (0, 0), (1, 0), (1, 1)
    out_gradient[k, 0] = 2.0 * (g00 * l11 + g01 * l21)
    out_gradient[k, 1] = 2.0 * (g01 * l11 + g11 * l21)
    out_gradient[k, 2] = 2.0 * g11 * l22


@njit(cache=True, nogil=True)
def _missing(k, out_llf, out_gradient, out_beta, out_xvx_inverse, out_sigma2):
    out_llf[k] = np.nan
    out_sigma2[k] = np.nan
    out_gradient[k, :] = np.nan
    out_beta[k, :] = np.nan
    out_xvx_inverse[k, :, :] = np.nan


@njit(cache=True, nogil=True)
def _cholesky(matrix):
    """Lower Cholesky factor; NaN in [0, 0] when the matrix is not positive definite (a
    relative margin of 1e-12 on the pivots, as :func:`.reml_profile` documents)."""
    p = matrix.shape[0]
    chol = np.zeros((p, p))
    scale = 0.0
    for i in range(p):
        scale = max(scale, abs(matrix[i, i]))
    for j in range(p):
        total = matrix[j, j]
        for m in range(j):
            total -= chol[j, m] * chol[j, m]
        if not total > 1e-12 * scale:
            chol[0, 0] = np.nan
            return chol
        chol[j, j] = math.sqrt(total)
        for i in range(j + 1, p):
            total = matrix[i, j]
            for m in range(j):
                total -= chol[i, m] * chol[j, m]
            chol[i, j] = total / chol[j, j]
    return chol


@njit(cache=True, nogil=True)
def _cholesky_inverse(chol):
    """The inverse of ``chol @ chol.T`` from the lower factor."""
    p = chol.shape[0]
    lower_inverse = np.zeros((p, p))
    for j in range(p):
        lower_inverse[j, j] = 1.0 / chol[j, j]
        for i in range(j + 1, p):
            total = 0.0
            for m in range(j, i):
                total -= chol[i, m] * lower_inverse[m, j]
            lower_inverse[i, j] = total / chol[i, i]
    inverse = np.zeros((p, p))
    for i in range(p):
        for j in range(i + 1):
            total = 0.0
            for m in range(i, p):
                total += lower_inverse[m, i] * lower_inverse[m, j]
            inverse[i, j] = total
            inverse[j, i] = total
    return inverse

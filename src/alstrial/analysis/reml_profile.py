"""The profiled REML log-likelihood of a random intercept and slope model, and its gradient,
for many independent fits at once (the algebra of :mod:`.reml`).

Model, for subject ``i`` of fit ``k`` (a trial, or the one data set of an analysis)::

    y_i = X_i beta_k + Z_i b_i + e_i,   b_i ~ N(0, sigma_k^2 L L'),   e_i ~ N(0, sigma_k^2 I)

with ``Z_i = [1, t]`` (t in months) and ``L = [[theta1, 0], [theta2, theta3]]`` the relative
Cholesky factor of the random-effects covariance (lme4's parametrisation, Bates et al. 2015,
J Stat Softw 67(1), section 3). For a given ``theta`` the fixed effects ``beta`` and the
residual variance ``sigma^2`` have closed forms (generalised least squares), so the REML
log-likelihood is a function of the three ``theta`` only ("profiled"). With
``A_i = L' Z_i'Z_i L + I`` (2 x 2) and Woodbury's identity ``V_i^-1 = I - Z_i L A_i^-1 L' Z_i'``
(``V_i = Z_i L L' Z_i' + I``), everything a fit needs is a sum over subjects of 2 x 2 and 2 x p
products of each subject's cross-products ``Z'Z, Z'X, Z'y`` (:class:`SubjectMoments`)::

    -2 l_R(theta) = sum_i log det A_i + log det(X'V^-1 X) + (n - p)(1 + log(2 pi r^2 / (n - p)))

``r^2`` being the generalised residual sum of squares at ``beta(theta)``; ``sigma^2 = r^2 /
(n - p)``. This is lme4's REML criterion (``lmer(..., REML = TRUE)``; Bates et al., eq. 42), so
the log-likelihoods are comparable number for number.

Gradient: with ``D = L L'``, ``dl = tr(G dD)`` where ``G = -1/2 [sum_i Z_i'V_i^-1 Z_i - sum_i W_i
C W_i' - (n - p) / r^2 sum_i u_i u_i']``, ``W_i = Z_i'V_i^-1 X_i``, ``C = (X'V^-1 X)^-1`` and
``u_i = Z_i'V_i^-1 (y_i - X_i beta)`` (the derivative of the GLS residual sum of squares needs no
derivative of ``beta``: it is at its minimum); then ``dl/dL = 2 G L``, read at the three free
entries. Arrays carry the fit as their first axis and the subject as their second; a subject
with no visits (padding) has zero moments and contributes nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from alstrial.analysis.reml_kernels import profile_fits


@dataclass(frozen=True)
class SubjectMoments:
    """Cross-products of each subject's visits, ``(fits, subjects, ...)``; ``p`` fixed effects.

    ``ztz`` (F, S, 2, 2), ``ztx`` (F, S, 2, p), ``zty`` (F, S, 2), ``xtx`` (F, S, p, p),
    ``xty`` (F, S, p), ``yty`` (F, S), ``visits`` (F, S) counts.
    """

    ztz: np.ndarray
    ztx: np.ndarray
    zty: np.ndarray
    xtx: np.ndarray
    xty: np.ndarray
    yty: np.ndarray
    visits: np.ndarray

    @property
    def n_fits(self) -> int:
        return self.ztz.shape[0]

    @property
    def n_fixed(self) -> int:
        return self.ztx.shape[-1]

    def take(self, fits: np.ndarray) -> SubjectMoments:
        """The moments of some fits (an index or boolean mask over the first axis)."""
        return SubjectMoments(
            self.ztz[fits],
            self.ztx[fits],
            self.zty[fits],
            self.xtx[fits],
            self.xty[fits],
            self.yty[fits],
            self.visits[fits],
        )

    def minus_fit(self, beta: np.ndarray) -> SubjectMoments:
        """The moments of ``y - X beta`` (``beta`` (F, p)): the same REML fit, shifted by
        ``beta``. Fitting residuals from a pooled fit keeps ``y'V^-1 y`` close to the residual
        sum of squares it is subtracted from (ALSFRS-R totals near 36 would otherwise lose about
        three digits of the REML log-likelihood to cancellation at 10,000 subjects)."""
        xtx_beta = np.einsum("fspq,fq->fsp", self.xtx, beta)
        return SubjectMoments(
            ztz=self.ztz,
            ztx=self.ztx,
            zty=self.zty - np.einsum("fsap,fp->fsa", self.ztx, beta),
            xtx=self.xtx,
            xty=self.xty - xtx_beta,
            yty=self.yty
            - 2 * np.einsum("fsp,fp->fs", self.xty, beta)
            + np.einsum("fsp,fp->fs", xtx_beta, beta),
            visits=self.visits,
        )

    @cached_property
    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per fit: ``X'X`` (F, p, p), ``X'y`` (F, p), ``y'y`` (F,), number of visits (F,)."""
        return (
            self.xtx.sum(axis=1),
            self.xty.sum(axis=1),
            self.yty.sum(axis=1),
            self.visits.sum(axis=1),
        )


def moments_from_rows(
    y: np.ndarray, x: np.ndarray, z: np.ndarray, subject: np.ndarray, n_subjects: int
) -> SubjectMoments:
    """Moments of one fit from visit rows: ``y`` (n,), ``x`` (n, p), ``z`` (n, 2) and each row's
    subject number ``subject`` (n,) in ``0 .. n_subjects - 1``."""
    p = x.shape[1]
    order = np.argsort(subject, kind="stable")
    y, x, z, subject = y[order], x[order], z[order], subject[order]
    columns = [
        (z[:, :, None] * z[:, None, :]).reshape(-1, 4),
        (z[:, :, None] * x[:, None, :]).reshape(-1, 2 * p),
        z * y[:, None],
        (x[:, :, None] * x[:, None, :]).reshape(-1, p * p),
        x * y[:, None],
        (y * y)[:, None],
        np.ones((y.size, 1)),
    ]
    products = np.concatenate(columns, axis=1)
    starts = np.flatnonzero(np.r_[True, subject[1:] != subject[:-1]])
    sums = np.zeros((n_subjects, products.shape[1]))
    sums[subject[starts]] = np.add.reduceat(products, starts, axis=0)
    widths = np.cumsum([0] + [c.shape[1] for c in columns])
    part = [sums[:, a:b] for a, b in itertools.pairwise(widths)]
    return SubjectMoments(
        ztz=part[0].reshape(1, n_subjects, 2, 2),
        ztx=part[1].reshape(1, n_subjects, 2, p),
        zty=part[2].reshape(1, n_subjects, 2),
        xtx=part[3].reshape(1, n_subjects, p, p),
        xty=part[4].reshape(1, n_subjects, p),
        yty=part[5].reshape(1, n_subjects),
        visits=part[6].reshape(1, n_subjects),
    )


def moments_from_grid(
    totals: np.ndarray, seen: np.ndarray, base: np.ndarray, z: np.ndarray, group: np.ndarray | None
) -> SubjectMoments:
    """Moments of many fits on one visit grid (the simulator's trials).

    ``totals``/``seen`` (F, S, V): observations and which are seen; ``base`` (V, q): the fixed
    effects' columns common to every subject; ``z`` (V, 2); ``group`` (F, S) 0/1 or None. With a
    group, ``X = [base, group * base]`` (p = 2q: the two-arm model's interactions), else
    ``X = base``.
    """
    weight = seen.astype(float)
    y = np.where(seen, totals, 0.0)

    def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # (V, m), (V, k) -> (F, S, m, k)
        products = (a[:, :, None] * b[:, None, :]).reshape(a.shape[0], -1)
        return (weight @ products).reshape(*weight.shape[:-1], a.shape[1], b.shape[1])

    ztz = cross(z, z)
    ztb = cross(z, base)
    btb = cross(base, base)
    zty = np.einsum("fsv,va->fsa", y, z)
    bty = np.einsum("fsv,vj->fsj", y, base)
    if group is None:
        ztx, xtx, xty = ztb, btb, bty
    else:
        g = group.astype(float)[..., None, None]
        ztx = np.concatenate([ztb, g * ztb], axis=-1)
        top = np.concatenate([btb, g * btb], axis=-1)
        xtx = np.concatenate([top, g * top], axis=-2)
        xty = np.concatenate([bty, g[..., 0] * bty], axis=-1)
    return SubjectMoments(
        ztz=ztz,
        ztx=ztx,
        zty=zty,
        xtx=xtx,
        xty=xty,
        yty=np.einsum("fsv,fsv->fs", y, y),
        visits=weight.sum(axis=-1),
    )


def relative_factor(theta: np.ndarray) -> np.ndarray:
    """``L`` (F, 2, 2) from ``theta`` (F, 3) = (L11, L21, L22)."""
    factor = np.zeros((theta.shape[0], 2, 2))
    factor[:, 0, 0] = theta[:, 0]
    factor[:, 1, 0] = theta[:, 1]
    factor[:, 1, 1] = theta[:, 2]
    return factor


@dataclass(frozen=True)
class Profile:
    """The profiled REML fit at ``theta`` (per fit): log-likelihood, gradient in ``theta``
    (NaN unless asked for), fixed effects, ``(X'V^-1 X)^-1`` (relative scale), residual
    variance ``sigma^2``."""

    log_likelihood: np.ndarray  # (k,)
    gradient: np.ndarray  # (k, 3)
    beta: np.ndarray  # (k, p)
    xvx_inverse: np.ndarray  # (k, p, p)
    sigma2: np.ndarray  # (k,)


def profile(
    theta: np.ndarray,
    moments: SubjectMoments,
    gradient: bool = True,
    fits: np.ndarray | None = None,
) -> Profile:
    """The REML log-likelihood (and its gradient) of the fits ``fits`` (default: all) at
    ``theta`` (k, 3); see the module docstring (the loop: :func:`.reml_kernels.profile_fits`).
    A fit whose ``X'V^-1 X`` is not positive definite (not identifiable) gets NaN."""
    m = moments
    fits = np.arange(m.n_fits) if fits is None else np.asarray(fits, dtype=np.int64)
    theta = np.ascontiguousarray(theta, dtype=float)
    k, p = fits.size, m.n_fixed
    xtx, xty, yty, n = m.totals
    out = Profile(
        np.empty(k), np.full((k, 3), np.nan), np.empty((k, p)), np.empty((k, p, p)), np.empty(k)
    )
    profile_fits(fits, theta, m.ztz, m.ztx, m.zty, xtx, xty, yty, n, gradient, *vars(out).values())
    return out

"""The batched REML engine (analysis/reml.py, reml_profile.py): its gradient against finite
differences, its moments from rows and from a visit grid against each other, batched fits
against one-at-a-time fits, and its optimum against statsmodels' on data it has not seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrial.analysis.mixed import design_columns, fit_piecewise, model_frame
from alstrial.analysis.reml import canonical_theta, fit_reml
from alstrial.analysis.reml_profile import (
    SubjectMoments,
    moments_from_grid,
    moments_from_rows,
    profile,
)

REFERENCE = Path(__file__).parents[1] / "reference" / "mixed"


def _moments(name: str, two_arm: bool = True) -> SubjectMoments:
    frame = model_frame(pd.read_csv(REFERENCE / f"{name}.csv", dtype={"subject_id": str}))
    subject, labels = pd.factorize(frame["subject_id"])
    z = np.column_stack([np.ones(len(frame)), frame["t"]])
    x = design_columns(frame, two_arm)
    return moments_from_rows(frame["total"].to_numpy(), x, z, subject, len(labels))


def _pad(moments: SubjectMoments, subjects: int) -> SubjectMoments:
    """The same fit with empty subjects added (zero moments)."""
    extra = subjects - moments.ztz.shape[1]

    def pad(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, np.zeros((a.shape[0], extra, *a.shape[2:]))], axis=1)

    return SubjectMoments(*(pad(getattr(moments, f)) for f in SubjectMoments.__dataclass_fields__))


def _stack(parts: list[SubjectMoments]) -> SubjectMoments:
    size = max(p.ztz.shape[1] for p in parts)
    padded = [_pad(p, size) for p in parts]
    return SubjectMoments(
        *(
            np.concatenate([getattr(p, f) for p in padded])
            for f in SubjectMoments.__dataclass_fields__
        )
    )


@pytest.mark.parametrize("theta", [(2.1, 0.3, 0.35), (0.5, -0.2, 0.05), (3.0, 0.0, 1e-3)])
def test_gradient_matches_finite_differences(theta):
    moments = _moments("kim_like_seed0_slopesd0.6")
    at = np.array([theta])
    analytic = profile(at, moments).gradient[0]
    step = 1e-5
    numeric = [
        (
            profile(at + step * np.eye(3)[j], moments, gradient=False).log_likelihood[0]
            - profile(at - step * np.eye(3)[j], moments, gradient=False).log_likelihood[0]
        )
        / (2 * step)
        for j in range(3)
    ]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-5)


def test_log_likelihood_does_not_depend_on_column_signs():
    """Why the boundary theta3 = 0 is a stationary point: L and L with a column negated give
    the same covariance L L'."""
    moments = _moments("kim_like_seed3_slopesd0")
    theta = np.array([[1.7, 0.2, 0.3], [1.7, 0.2, -0.3], [-1.7, -0.2, 0.3]])
    llf = profile(theta, moments, gradient=False).log_likelihood
    np.testing.assert_allclose(llf, llf[0], rtol=1e-13)
    np.testing.assert_array_equal(canonical_theta(theta), np.tile([1.7, 0.2, 0.3], (3, 1)))


def test_padding_subjects_changes_nothing():
    moments = _moments("kim_like_seed1_slopesd0.6")
    theta = np.array([[2.0, 0.1, 0.3]])
    plain, padded = profile(theta, moments), profile(theta, _pad(moments, 60))
    np.testing.assert_allclose(padded.log_likelihood, plain.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(padded.gradient, plain.gradient, rtol=1e-10)


def test_batched_fits_equal_separate_fits():
    names = ["kim_like_seed0_slopesd0.6", "kim_like_seed0_slopesd0", "kim_like_seed10_slopesd0.6"]
    parts = [_moments(n) for n in names]
    together = fit_reml(_stack(parts))
    for k, part in enumerate(parts):
        alone = fit_reml(part)
        assert together.log_likelihood[k] == pytest.approx(alone.log_likelihood[0], abs=1e-9)
        np.testing.assert_allclose(together.beta[k], alone.beta[0], rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(together.se[k], alone.se[0], rtol=1e-6)
        assert together.singular[k] == alone.singular[0]
        assert together.converged[k]


def test_grid_moments_equal_row_moments():
    """The simulator's visit-grid moments are the analysis' row moments of the same visits."""
    rng = np.random.default_rng(5)
    months = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    fits, subjects = 3, 7
    totals = np.rint(rng.normal(35, 5, (fits, subjects, months.size)))
    seen = rng.random((fits, subjects, months.size)) > 0.2
    group = rng.random((fits, subjects)) > 0.5
    base = np.column_stack([np.ones(months.size), months, np.maximum(months, 0)])
    z = base[:, :2]
    grid = moments_from_grid(totals, seen, base, z, group)
    for f in range(fits):
        s, v = np.nonzero(seen[f])
        x = np.column_stack([base[v], group[f, s, None] * base[v]])
        rows = moments_from_rows(totals[f, s, v], x, z[v], s, subjects)
        for name in SubjectMoments.__dataclass_fields__:
            np.testing.assert_allclose(getattr(grid, name)[f], getattr(rows, name)[0], atol=1e-9)


def _simulated_cohort(seed: int, n: int = 40, slope_sd: float = 0.5) -> pd.DataFrame:
    """Two arms, 4 lead-in and 6 follow-up monthly visits, random intercepts and slopes
    (correlated), some dropout: data the lme4 references do not contain."""
    rng = np.random.default_rng(seed)
    months = np.arange(-3, 7, dtype=float)
    rows = []
    for i in range(n):
        arm = "treated" if i % 2 else "control"
        intercept = 36 + rng.normal(0, 4)
        slope = -0.9 + 0.05 * (intercept - 36) + rng.normal(0, slope_sd)
        last = rng.integers(5, months.size + 1)
        for t in months[:last]:
            change = 0.3 * max(t, 0) if arm == "treated" else 0.0
            total = intercept + slope * t + change + rng.normal(0, 1.5)
            rows.append({"subject_id": f"S{i:03d}", "arm": arm, "alsfrs_r_total": total, "t": t})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [11, 12])
def test_reml_engine_reaches_statsmodels_optimum(seed):
    """An independent optimiser (statsmodels, with its checked optimizers) on the same REML
    criterion: equal optimum, equal estimates and standard errors."""
    visits = _simulated_cohort(seed)
    ours = fit_piecewise(visits, two_arm=True)
    theirs = fit_piecewise(visits, two_arm=True, engine="statsmodels")
    assert ours.converged
    assert theirs.converged, theirs.note
    assert ours.reml_log_likelihood >= theirs.reml_log_likelihood - 1e-7
    assert ours.reml_log_likelihood == pytest.approx(theirs.reml_log_likelihood, abs=1e-4)
    for column in ("estimate", "se"):
        np.testing.assert_allclose(
            ours.fixed_effects[column], theirs.fixed_effects[column], rtol=1e-4, atol=1e-5
        )
    assert ours.residual_variance == pytest.approx(theirs.residual_variance, rel=1e-4)
    assert ours.singular == theirs.singular


def test_unidentifiable_fit_is_nan_not_an_error():
    """A fit whose fixed effects cannot be estimated (no treated subject) gets NaN, and does not
    disturb the other fits of its batch."""
    good = _moments("kim_like_seed1_slopesd0.6")
    bad = _moments("kim_like_seed1_slopesd0.6")
    columns = [0, 1, 2]  # keep the shape, but zero the treated columns: X'X singular
    zeroed = SubjectMoments(
        ztz=bad.ztz,
        ztx=np.concatenate([bad.ztx[..., columns], 0 * bad.ztx[..., columns]], axis=-1),
        zty=bad.zty,
        xtx=np.pad(bad.xtx[..., :3, :3], [(0, 0), (0, 0), (0, 3), (0, 3)]),
        xty=np.concatenate([bad.xty[..., :3], 0 * bad.xty[..., :3]], axis=-1),
        yty=bad.yty,
        visits=bad.visits,
    )
    fits = fit_reml(_stack([good, zeroed]))
    assert fits.converged[0]
    assert np.isfinite(fits.beta[0]).all()
    assert not fits.converged[1]
    assert np.isnan(fits.log_likelihood[1])


def test_noise_free_data_has_no_optimum_and_says_so():
    """Every subject exactly on its own line: the REML likelihood grows without bound as the
    residual variance goes to 0, so there is no optimum to verify. The fit must not fail; it
    recovers the exact (zero) slope change and reports that it is not a verified optimum."""
    lines = [(40, -1), (38, -2), (35, 0), (42, -1), (30, -3), (33, -1)]
    visits = pd.DataFrame(
        [
            {
                "subject_id": f"S{i}",
                "arm": "treated" if i % 2 else "control",
                "t": float(t),
                "alsfrs_r_total": float(a + b * t),
            }
            for i, (a, b) in enumerate(lines)
            for t in (-2, -1, 0, 1, 2, 3)
        ]
    )
    for two_arm in (False, True):
        result = fit_piecewise(visits, two_arm=two_arm)
        assert abs(result.estimate) < 1e-9
        assert not result.converged
        assert "must not be relied on" in result.note

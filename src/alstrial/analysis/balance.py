"""Covariate balance between treated subjects and (matched) controls, as MatchIt and cobalt show it.

Definitions (stated in every output through :attr:`BalanceTable.settings`):

- **Standardized mean difference** (SMD) = (treated mean - control mean) / SD of the *treated*
  group in the sample *before* matching. This is MatchIt's default for the ATT estimand
  (``s.d.denom = "treated"``) and cobalt's; the same denominator is used before and after
  matching, so a change in SMD reflects a change in the means, not in the yardstick.
- **Binary covariates** (two values, coded 0/1; a category level is one such indicator) are shown
  as proportions; their SD is sqrt(p (1 - p)) (no n - 1 correction), as MatchIt and cobalt do.
  Their variance ratio is not reported (it is a function of the proportions).
- **Variance ratio** = treated variance / control variance, with weighted variances as
  ``numpy.cov(x, aweights=w)`` computes them: sum w (x - m)^2 / (sum w - sum w^2 / sum w), which is
  the usual n - 1 variance when all weights are 1.
- **Matching weights** (ATT): a treated subject with at least one match has weight 1; a control
  matched to treated subject i, who has k_i controls, receives 1/k_i from that match, summed over
  the treated subjects it is matched to (with replacement a control can serve several).
- **eCDF mean and max**: mean and largest |F_t - F_c| of the (weighted) empirical CDFs over
  the distinct values of both samples (MatchIt's summary); |p_t - p_c| for a binary covariate.
- A covariate is flagged when |SMD| after matching exceeds ``threshold`` (default 0.1, the usual
  rule of thumb: Austin 2009, Stat Med 28:3083-3107).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alstrial.domain.errors import FieldError

DEFAULT_THRESHOLD = 0.1


class BalanceWarning(UserWarning):
    """A covariate stays imbalanced (|SMD| above the threshold) after matching."""


def covariate_matrix(
    frames: Sequence[pd.DataFrame], covariates: Sequence[str], names: Sequence[str]
) -> list[pd.DataFrame]:
    """The numeric design of ``covariates`` for several frames, coded identically.

    Numbers stay numbers; booleans become 0/1; a text or categorical column becomes one 0/1
    indicator per level (``"onset_site=bulbar"``), with the levels taken from all frames
    together so that every frame gets the same columns. A missing column or a missing value
    raises :class:`FieldError` naming the column and the frame (``names``).
    """
    for frame, name in zip(frames, names, strict=True):
        for column in covariates:
            if column not in frame.columns:
                raise FieldError(column, f"covariate {column!r} is missing from the {name}")
            missing = frame[column].isna()
            if missing.any():
                ids = _row_ids(frame, missing)
                raise FieldError(
                    column,
                    f"covariate {column!r} is missing for {int(missing.sum())} of the "
                    f"{name} (e.g. {ids})",
                )
    out: list[dict[str, np.ndarray]] = [{} for _ in frames]
    for column in covariates:
        series = [frame[column] for frame in frames]
        if all(pd.api.types.is_bool_dtype(s) for s in series) or all(
            pd.api.types.is_numeric_dtype(s) for s in series
        ):
            for target, s in zip(out, series, strict=True):
                target[column] = s.to_numpy(dtype=float)
        else:
            levels = sorted({str(v) for s in series for v in s.unique()})
            for level in levels:
                for target, s in zip(out, series, strict=True):
                    target[f"{column}={level}"] = (s.astype(str) == level).to_numpy(dtype=float)
    return [
        pd.DataFrame(columns, index=frame.index) for columns, frame in zip(out, frames, strict=True)
    ]


def _row_ids(frame: pd.DataFrame, mask: pd.Series, limit: int = 3) -> str:
    if "subject_id" in frame.columns:
        values = frame.loc[mask, "subject_id"].head(limit).tolist()
    else:
        values = frame.index[mask.to_numpy()][:limit].tolist()
    return ", ".join(str(v) for v in values)


def weighted_mean_var(x: np.ndarray, w: np.ndarray | None, binary: bool) -> tuple[float, float]:
    """Weighted mean and variance (reliability weights; ``p (1 - p)`` for a binary covariate)."""
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    total = w.sum()
    if total <= 0 or len(x) == 0:
        return float("nan"), float("nan")
    mean = float(np.dot(w, x) / total)
    if binary:
        return mean, mean * (1.0 - mean)
    denominator = total - np.dot(w, w) / total
    if denominator <= 0:
        return mean, float("nan")
    return mean, float(np.dot(w, (x - mean) ** 2) / denominator)


def ecdf_distance(
    x_t: np.ndarray,
    w_t: np.ndarray | None,
    x_c: np.ndarray,
    w_c: np.ndarray | None,
    binary: bool,
) -> tuple[float, float]:
    """Mean and largest absolute difference of the (weighted) empirical CDFs, as MatchIt.

    The CDFs are compared at every distinct value of the two samples together, units of weight
    0 included (as MatchIt's summary does: they add evaluation points, not mass); for a binary
    covariate both statistics are |p_t - p_c|.
    """
    x_t, x_c = np.asarray(x_t, float), np.asarray(x_c, float)
    w_t = np.ones_like(x_t) if w_t is None else np.asarray(w_t, float)
    w_c = np.ones_like(x_c) if w_c is None else np.asarray(w_c, float)
    if w_t.sum() <= 0 or w_c.sum() <= 0:
        return float("nan"), float("nan")
    if binary:
        gap = abs(np.dot(w_t, x_t) / w_t.sum() - np.dot(w_c, x_c) / w_c.sum())
        return float(gap), float(gap)
    values = np.unique(np.concatenate([x_t, x_c]))

    def cdf(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        order = np.argsort(x, kind="stable")
        cumulative = np.r_[0.0, np.cumsum(w[order]) / w.sum()]
        return cumulative[np.searchsorted(x[order], values, side="right")]

    gaps = np.abs(cdf(x_t, w_t) - cdf(x_c, w_c))
    return float(gaps.mean()), float(gaps.max())


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator without a RuntimeWarning: 0/0 is 0, x/0 is +-inf, nan stays nan."""
    if np.isnan(numerator) or np.isnan(denominator):
        return float("nan")
    if denominator == 0:
        return 0.0 if numerator == 0 else float(np.copysign(np.inf, numerator))
    return float(numerator / denominator)


@dataclass(frozen=True)
class BalanceTable:
    """Balance of each covariate before and after matching.

    ``table`` has one row per covariate column (index ``covariate``) and the columns
    ``type`` (``binary`` or ``continuous``), ``mean_treated_before``, ``mean_control_before``,
    ``smd_before``, ``var_ratio_before``, ``mean_treated_after``, ``mean_control_after``,
    ``smd_after``, ``var_ratio_after``, and the eCDF statistics ``ecdf_mean_before``,
    ``ecdf_max_before``, ``ecdf_mean_after``, ``ecdf_max_after``. ``sample_sizes`` gives
    ``treated_before``, ``control_before``, ``treated_after``, ``control_after`` (distinct
    matched controls) and
    ``control_ess`` (effective sample size of the weighted controls, (sum w)^2 / sum w^2).
    """

    table: pd.DataFrame
    sample_sizes: dict[str, float]
    threshold: float = DEFAULT_THRESHOLD
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """The balance table (a copy), one row per covariate."""
        return self.table.copy()

    @property
    def imbalanced(self) -> list[str]:
        """Covariates with |SMD| after matching above the threshold (or not computable)."""
        smd = self.table["smd_after"].to_numpy(dtype=float)
        bad = ~(np.abs(np.nan_to_num(smd, nan=np.inf)) <= self.threshold)
        return [str(c) for c in self.table.index[bad]]

    def messages(self) -> list[str]:
        """One plain sentence per imbalanced covariate."""
        return [
            f"{name}: standardized mean difference after matching is "
            f"{self.table.at[name, 'smd_after']:+.3f} (|SMD| > {self.threshold:g})"
            for name in self.imbalanced
        ]

    def warn(self) -> None:
        """Issue a :class:`BalanceWarning` per imbalanced covariate."""
        for message in self.messages():
            warnings.warn(message, BalanceWarning, stacklevel=2)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for name, row in self.table.iterrows():
            entry: dict[str, Any] = {"covariate": str(name), "type": row["type"]}
            for column in self.table.columns.drop("type"):
                value = float(row[column])
                entry[column] = value if np.isfinite(value) else None
            rows.append(entry)
        return {
            "settings": dict(self.settings, threshold=self.threshold),
            "sample_sizes": dict(self.sample_sizes),
            "covariates": rows,
            "imbalanced": self.imbalanced,
        }

    def love_plot(self, ax=None, absolute: bool = True):
        """A love plot: |SMD| (or signed SMD) per covariate before and after matching.

        Returns the matplotlib Figure. Lines at the threshold show the 0.1 rule.
        """
        # matplotlib loads only when a plot is drawn: balance tables are computed without it.
        from alstrial.analysis.report.figures import love_plot

        return love_plot(self, ax=ax, absolute=absolute)


def balance_table(
    treated: pd.DataFrame,
    controls: pd.DataFrame,
    covariates: Sequence[str],
    treated_matched: np.ndarray | None = None,
    control_weights: np.ndarray | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> BalanceTable:
    """Balance of ``covariates`` between ``treated`` and candidate ``controls``.

    ``treated_matched`` (boolean per treated row) and ``control_weights`` (matching weight per
    control row; 0 for an unmatched control) describe the matched sample; without them the
    "after" columns repeat the "before" ones (no matching). See the module docstring for the
    definitions.
    """
    x_t, x_c = covariate_matrix([treated, controls], covariates, ["treated", "controls"])
    n_t, n_c = len(x_t), len(x_c)
    matched = np.ones(n_t, bool) if treated_matched is None else np.asarray(treated_matched, bool)
    weights = np.ones(n_c) if control_weights is None else np.asarray(control_weights, float)
    if matched.shape != (n_t,) or weights.shape != (n_c,):
        raise ValueError("treated_matched and control_weights must have one value per row")
    if np.any(weights < 0):
        raise ValueError("control_weights must not be negative")
    rows = []
    for column in x_t.columns:
        t, c = x_t[column].to_numpy(), x_c[column].to_numpy()
        binary = bool(np.isin(np.concatenate([t, c]), (0.0, 1.0)).all())
        mean_t0, var_t0 = weighted_mean_var(t, None, binary)
        mean_c0, var_c0 = weighted_mean_var(c, None, binary)
        mean_t1, var_t1 = weighted_mean_var(t[matched], None, binary)
        mean_c1, var_c1 = weighted_mean_var(c, weights, binary)
        sd = float(np.sqrt(var_t0)) if np.isfinite(var_t0) else float("nan")
        rows.append(
            {
                "covariate": column,
                "type": "binary" if binary else "continuous",
                "mean_treated_before": mean_t0,
                "mean_control_before": mean_c0,
                "smd_before": _ratio(mean_t0 - mean_c0, sd),
                "var_ratio_before": float("nan") if binary else _ratio(var_t0, var_c0),
                "mean_treated_after": mean_t1,
                "mean_control_after": mean_c1,
                "smd_after": _ratio(mean_t1 - mean_c1, sd),
                "var_ratio_after": float("nan") if binary else _ratio(var_t1, var_c1),
            }
        )
        rows[-1]["ecdf_mean_before"], rows[-1]["ecdf_max_before"] = ecdf_distance(
            t, None, c, None, binary
        )
        rows[-1]["ecdf_mean_after"], rows[-1]["ecdf_max_after"] = ecdf_distance(
            t, matched.astype(float), c, weights, binary
        )
    table = pd.DataFrame(rows).set_index("covariate")
    w_sum, w_sq = float(weights.sum()), float(np.dot(weights, weights))
    sizes = {
        "treated_before": n_t,
        "control_before": n_c,
        "treated_after": int(matched.sum()),
        "control_after": int((weights > 0).sum()),
        "control_ess": w_sum**2 / w_sq if w_sq > 0 else 0.0,
    }
    settings = {
        "smd_denominator": "SD of the treated group before matching (ATT, as MatchIt)",
        "binary_sd": "sqrt(p(1-p))",
        "variance": "weighted, numpy.cov aweights (n-1 when unweighted)",
        "weights": "ATT matching weights: 1/k_i per control matched to treated i",
    }
    return BalanceTable(table=table, sample_sizes=sizes, threshold=threshold, settings=settings)


def matching_weights(
    n_controls: int, pairs_treated: np.ndarray, pairs_control: np.ndarray
) -> np.ndarray:
    """ATT matching weights of ``n_controls`` controls from matched pairs (row positions).

    A control matched to treated subject i, who has k_i matched controls, receives 1/k_i;
    contributions add up when the same control serves several treated subjects.
    """
    pairs_treated = np.asarray(pairs_treated, dtype=np.int64)
    pairs_control = np.asarray(pairs_control, dtype=np.int64)
    weights = np.zeros(n_controls)
    if len(pairs_treated) == 0:
        return weights
    _, inverse, counts = np.unique(pairs_treated, return_inverse=True, return_counts=True)
    np.add.at(weights, pairs_control, 1.0 / counts[inverse])
    return weights

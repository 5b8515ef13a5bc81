"""Greedy nearest-neighbour matching of treated subjects to registry candidates (as R's MatchIt).

:class:`Matcher` is a scikit-learn style estimator: options in ``__init__``, data in
:meth:`Matcher.fit`, results in attributes ending in ``_``.

The algorithm, step by step (MatchIt ``method = "nearest"``, Ho, Imai, King and Stuart 2011,
J Stat Softw 42(8); its version 4 defaults unless said otherwise):

1. **Distance.** ``"mahalanobis"``: sqrt((x_t - x_c)' S^-1 (x_t - x_c)) over the covariates,
   where S is the pooled within-group covariance (treated and candidates each centred on their
   own mean, (n_t - 1) S_t + (n_c - 1) S_c over n_t + n_c - 2), so that a systematic
   treated-registry difference does not widen the yardstick. ``"propensity"``: the absolute
   difference of the linear predictor (logit) of a logistic regression of treatment on the
   covariates, fitted by maximum likelihood without penalty (scikit-learn
   ``LogisticRegression(C=inf)``, the same model as R's ``glm(family = binomial)``).
2. **Exact strata.** Treated subjects are matched only to candidates with the same values of
   the ``exact`` columns (e.g. onset site).
3. **Caliper** (``caliper`` in standard deviations, SDs over all treated and candidate units
   together, MatchIt's ``std.caliper = TRUE``). ``"propensity"``: a pair is allowed when its
   logit difference is at most ``caliper`` SDs of the logit (Austin 2011, Pharm Stat 10:150-161,
   recommends 0.2). ``"mahalanobis"``: a Mahalanobis distance has no SD of its own, so the
   caliper is applied to every matching covariate: a pair is allowed when
   |x_t - x_c| <= ``caliper`` SD of that covariate for each of them (MatchIt's covariate
   calipers); a clinician reads this as "matched on age within 0.2 SD, and on duration ...".
4. **Greedy order** (``order``): ``"largest"`` (default for ``"propensity"``: treated subjects
   with the largest propensity score choose first, MatchIt's default), ``"data"`` (default for
   ``"mahalanobis"``: the order of the treated frame, MatchIt's default for that distance),
   ``"smallest"``, or ``"random"`` (``random_state``).
5. **1:k in rounds** (``ratio = k``): every treated subject gets its first control in the
   greedy order, then every treated subject its second, and so on (MatchIt). Without
   replacement a candidate is used once; with replacement each treated subject takes its k
   nearest allowed candidates. Ties in distance go to the candidate that comes first in the
   candidates frame, so results are reproducible.
6. A treated subject with no allowed candidate is left unmatched and listed in ``unmatched_``
   with the reason; it is never matched outside the caliper or its stratum.

Checked against R's MatchIt 4.5.1 (``tests/reference/matchit_reference.R``): Mahalanobis pairs
with exact strata, 1:2 rounds, covariate calipers and replacement, propensity pairs (largest
first, caliper on the logit, exact strata), the balance table and the logits agree exactly.

Speed: distances are computed in blocks of treated rows against all candidates of a stratum
with numpy; each treated row keeps only its ``ratio * n_treated + 1`` nearest allowed
candidates, which is provably enough for greedy matching without replacement (fewer than that
many can have been taken before its turn).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.balance import (
    BalanceTable,
    balance_table,
    covariate_matrix,
    matching_weights,
)
from alstrial.domain.errors import FieldError

DISTANCES = ("mahalanobis", "propensity")
ORDERS = ("data", "largest", "smallest", "random")
DEFAULT_COVARIATES = (
    "age_years",
    "disease_duration_months",
    "baseline_alsfrs_r",
    "delta_fs",
)
#: Elements of treated x candidates distance blocks computed at once (memory ~ 8 bytes each).
_BLOCK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class _Stratum:
    treated_rows: np.ndarray  # row positions in the treated frame, in greedy order
    control_rows: np.ndarray  # row positions in the candidates frame, in frame order


class Matcher:
    """Greedy nearest-neighbour matching with calipers, exact strata and 1:k ratio.

    Parameters: ``distance`` (``"mahalanobis"`` or ``"propensity"``), ``caliper`` (standard
    deviations; ``None`` for none), ``ratio`` (controls per treated subject), ``exact`` (columns
    matched exactly), ``replace`` (may a control serve several treated subjects),
    ``covariates`` (columns of the distance; text columns become 0/1 level indicators),
    ``order`` (greedy order; ``None`` picks MatchIt's default for the distance), ``id_column``
    and ``random_state`` (for ``order="random"``). See the module docstring for the rules.

    After :meth:`fit`: ``matches_`` (DataFrame ``treated_id, control_id, distance, round``),
    ``unmatched_`` (DataFrame ``treated_id, reason``), ``balance_`` (:class:`BalanceTable`),
    ``weights_`` (Series of ATT matching weights by control id, matched controls only),
    ``propensity_`` (DataFrame ``subject_id, group, propensity, logit``; propensity only),
    ``caliper_widths_`` (dict: the caliper in the units of each checked quantity).
    """

    def __init__(
        self,
        distance: str = "mahalanobis",
        caliper: float | None = 0.2,
        ratio: int = 1,
        exact: Sequence[str] = ("onset_site",),
        replace: bool = False,
        covariates: Sequence[str] = DEFAULT_COVARIATES,
        order: str | None = None,
        id_column: str = "subject_id",
        random_state: int | None = None,
    ):
        self.distance = distance
        self.caliper = caliper
        self.ratio = ratio
        self.exact = tuple(exact)
        self.replace = replace
        self.covariates = tuple(covariates)
        self.order = order
        self.id_column = id_column
        self.random_state = random_state

    # -- options ------------------------------------------------------------------------------
    def _check_options(self) -> str:
        if self.distance not in DISTANCES:
            raise FieldError(
                "distance", f"distance must be one of {DISTANCES}, got {self.distance!r}"
            )
        if (
            isinstance(self.ratio, bool)
            or not isinstance(self.ratio, int | np.integer)
            or (self.ratio < 1)
        ):
            raise FieldError("ratio", f"ratio must be a whole number >= 1, got {self.ratio!r}")
        if self.caliper is not None and not (
            np.isfinite(float(self.caliper)) and float(self.caliper) > 0
        ):
            raise FieldError("caliper", f"caliper must be > 0 SD or None, got {self.caliper!r}")
        if not self.covariates:
            raise FieldError("covariates", "give at least one matching covariate")
        overlap = set(self.exact) & set(self.covariates)
        if overlap:
            raise FieldError("exact", f"{sorted(overlap)} cannot be both exact and a covariate")
        order = self.order or ("largest" if self.distance == "propensity" else "data")
        if order not in ORDERS:
            raise FieldError("order", f"order must be one of {ORDERS}, got {order!r}")
        if order in ("largest", "smallest") and self.distance != "propensity":
            raise FieldError("order", f"order {order!r} needs distance='propensity'")
        return order

    def get_params(self) -> dict[str, Any]:
        """The options, as scikit-learn estimators report them (and every output records)."""
        return {
            "distance": self.distance,
            "caliper": self.caliper,
            "ratio": int(self.ratio),
            "exact": list(self.exact),
            "replace": bool(self.replace),
            "covariates": list(self.covariates),
            "order": self.order or ("largest" if self.distance == "propensity" else "data"),
            "random_state": self.random_state,
        }

    def set_params(self, **params: Any) -> Matcher:
        """Change options (scikit-learn style); an unknown name is refused."""
        for name, value in params.items():
            if name not in self.get_params():
                raise FieldError(name, f"Matcher has no option {name!r}")
            setattr(self, name, tuple(value) if name in ("exact", "covariates") else value)
        return self

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, treated: pd.DataFrame, candidates: pd.DataFrame) -> Matcher:
        """Match each row of ``treated`` to ``ratio`` rows of ``candidates``; returns self."""
        order = self._check_options()
        treated = _checked_frame(treated, "treated", self.id_column, self.exact)
        candidates = _checked_frame(candidates, "candidates", self.id_column, self.exact)
        clash = pd.Index(treated[self.id_column]).intersection(pd.Index(candidates[self.id_column]))
        if len(clash):
            raise FieldError(
                self.id_column, f"ids in both treated and candidates: {sorted(map(str, clash))[:3]}"
            )
        design_t, design_c = covariate_matrix(
            [treated, candidates], self.covariates, ["treated", "candidates"]
        )
        x_t, x_c = design_t.to_numpy(float), design_c.to_numpy(float)
        self.propensity_ = None
        score_t = None
        if self.distance == "propensity":
            logit_t, logit_c = _propensity_logits(x_t, x_c)
            self.propensity_ = _propensity_frame(
                treated, candidates, self.id_column, logit_t, logit_c
            )
            feat_t, feat_c = logit_t[:, None], logit_c[:, None]
            check_t, check_c = feat_t, feat_c
            check_names = ["propensity logit"]
            score_t = logit_t
        else:
            transform = _whitening(x_t, x_c, [str(c) for c in design_t.columns])
            feat_t, feat_c = x_t @ transform, x_c @ transform
            check_t, check_c = x_t, x_c
            check_names = [str(c) for c in design_t.columns]
        widths = np.full(check_t.shape[1], np.inf)
        if self.caliper is not None:
            sd = np.concatenate([check_t, check_c]).std(axis=0, ddof=1)
            widths = float(self.caliper) * sd
        self.caliper_widths_ = dict(zip(check_names, widths.tolist(), strict=True))
        greedy = _greedy_order(len(treated), order, score_t, self.random_state)
        pairs: list[tuple[int, int, float, int]] = []
        reasons: dict[int, str] = {}
        for stratum in _strata(treated, candidates, self.exact, greedy):
            if len(stratum.control_rows) == 0:
                for row in stratum.treated_rows:
                    reasons[int(row)] = "no candidate in the same exact-matching stratum"
                continue
            found, out_of_reach = _match_stratum(
                stratum,
                feat_t,
                feat_c,
                check_t,
                check_c,
                widths,
                int(self.ratio),
                bool(self.replace),
            )
            pairs.extend(found)
            matched_rows = {p[0] for p in found}
            for row in stratum.treated_rows:
                if int(row) in out_of_reach:
                    reasons[int(row)] = "no candidate within the caliper"
                elif int(row) not in matched_rows:
                    reasons[int(row)] = (
                        "every candidate within the caliper was taken by an earlier treated subject"
                    )
        self._store(treated, candidates, pairs, reasons)
        return self

    def _store(self, treated, candidates, pairs, reasons) -> None:
        ids_t = treated[self.id_column].to_numpy()
        ids_c = candidates[self.id_column].to_numpy()
        pairs = sorted(pairs, key=lambda p: (p[0], p[3]))
        rows_t = np.array([p[0] for p in pairs], dtype=np.int64)
        rows_c = np.array([p[1] for p in pairs], dtype=np.int64)
        self.matches_ = pd.DataFrame(
            {
                "treated_id": ids_t[rows_t],
                "control_id": ids_c[rows_c],
                "distance": np.array([p[2] for p in pairs], dtype=float),
                "round": np.array([p[3] for p in pairs], dtype=np.int64),
            }
        )
        unmatched = sorted(reasons)
        self.unmatched_ = pd.DataFrame(
            {
                "treated_id": ids_t[np.array(unmatched, dtype=np.int64)],
                "reason": [reasons[r] for r in unmatched],
            }
        )
        weights = matching_weights(len(candidates), rows_t, rows_c)
        used = weights > 0
        self.weights_ = pd.Series(
            weights[used], index=pd.Index(ids_c[used], name="control_id"), name="weight"
        )
        treated_matched = np.zeros(len(treated), bool)
        treated_matched[rows_t] = True
        balance_columns = [*self.covariates, *self.exact]
        self.balance_: BalanceTable = balance_table(
            treated, candidates, balance_columns, treated_matched, weights
        )
        self.n_treated_ = len(treated)
        self.n_candidates_ = len(candidates)
        short = self.matches_.groupby("treated_id").size()
        if self.ratio > 1 and (short < self.ratio).any():
            warnings.warn(
                f"{int((short < self.ratio).sum())} treated subject(s) received fewer than "
                f"{self.ratio} controls",
                UserWarning,
                stacklevel=3,
            )

    def summary(self) -> pd.DataFrame:
        """The balance table after fitting (MatchIt's ``summary()``)."""
        return self.balance_.summary()


def _checked_frame(frame: pd.DataFrame, name: str, id_column: str, exact) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise FieldError(name, f"{name} must be a pandas DataFrame")
    if id_column not in frame.columns:
        raise FieldError(id_column, f"column {id_column!r} is missing from the {name}")
    duplicated = frame[id_column].duplicated()
    if duplicated.any():
        raise FieldError(
            id_column,
            f"duplicate {id_column} in the {name}: {frame.loc[duplicated, id_column].iloc[0]!r}",
        )
    for column in exact:
        if column not in frame.columns:
            raise FieldError(column, f"exact-matching column {column!r} is missing from the {name}")
        if frame[column].isna().any():
            raise FieldError(
                column, f"exact-matching column {column!r} is empty for some of the {name}"
            )
    return frame.reset_index(drop=True)


def _propensity_logits(x_t: np.ndarray, x_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear predictor of an unpenalised logistic regression of treatment on the covariates."""
    # scikit-learn (about 1.4 s to import) loads only when a propensity score is fitted.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([x_t, x_c])
    y = np.r_[np.ones(len(x_t)), np.zeros(len(x_c))]
    # Centring and scaling change the coefficients but not the fitted linear predictor of an
    # unpenalised model; they keep Newton's method well conditioned.
    centre, scale = x.mean(axis=0), x.std(axis=0)
    constant = scale == 0
    if constant.any():
        raise FieldError("covariates", "a propensity covariate has the same value for everyone")
    z = (x - centre) / scale
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(z, y)
        except ConvergenceWarning as error:
            raise FieldError(
                "covariates",
                f"the propensity model did not converge ({error}); the groups may "
                "be perfectly separated by the covariates",
            ) from None
    logit = model.decision_function(z)
    return logit[: len(x_t)], logit[len(x_t) :]


def _propensity_frame(treated, candidates, id_column, logit_t, logit_c) -> pd.DataFrame:
    logit = np.r_[logit_t, logit_c]
    return pd.DataFrame(
        {
            "subject_id": np.r_[treated[id_column].to_numpy(), candidates[id_column].to_numpy()],
            "group": ["treated"] * len(logit_t) + ["candidate"] * len(logit_c),
            "propensity": 1.0 / (1.0 + np.exp(-logit)),
            "logit": logit,
        }
    )


def _whitening(x_t: np.ndarray, x_c: np.ndarray, names: list[str]) -> np.ndarray:
    """A matrix W with (x W)(x W)' distances equal to Mahalanobis distances under pooled S."""
    n_t, n_c = len(x_t), len(x_c)
    if n_t + n_c - 2 <= 0:
        raise FieldError("candidates", "too few subjects to estimate the covariance")
    centred = np.concatenate([x_t - x_t.mean(axis=0), x_c - x_c.mean(axis=0)])
    pooled = centred.T @ centred / (n_t + n_c - 2)
    flat = np.diag(pooled) <= 0
    if flat.any():
        raise FieldError(
            "covariates",
            f"covariate {names[int(np.argmax(flat))]!r} does not vary "
            "within groups, so it cannot enter a Mahalanobis distance",
        )
    try:
        lower = np.linalg.cholesky(pooled)
    except np.linalg.LinAlgError:
        raise FieldError(
            "covariates", "the covariates are collinear (singular covariance matrix); drop one"
        ) from None
    # S = L L'  =>  d^2 = |L^-1 (x_t - x_c)|^2, i.e. rows times (L^-1)'.
    return np.linalg.inv(lower).T


def _greedy_order(n: int, order: str, score: np.ndarray | None, seed: int | None) -> np.ndarray:
    positions = np.arange(n)
    if order == "data":
        return positions
    if order == "random":
        return np.random.default_rng(seed).permutation(n)
    key = -score if order == "largest" else score
    return np.argsort(key, kind="stable")


def _strata(treated, candidates, exact, greedy):
    """Exact-matching strata: treated rows (in greedy order) and candidate rows of each."""
    if not exact:
        yield _Stratum(greedy, np.arange(len(candidates)))
        return
    columns = list(exact)
    groups_t = treated[columns].astype(str).groupby(columns, sort=False).indices
    groups_c = candidates[columns].astype(str).groupby(columns, sort=False).indices
    rank = np.empty(len(greedy), dtype=np.int64)
    rank[greedy] = np.arange(len(greedy))
    for key, rows in sorted(groups_t.items(), key=lambda item: rank[item[1]].min()):
        rows = rows[np.argsort(rank[rows], kind="stable")]
        yield _Stratum(rows, np.asarray(groups_c.get(key, []), dtype=np.int64))


def _match_stratum(stratum, feat_t, feat_c, check_t, check_c, widths, ratio, replace):
    """Greedy matches in one stratum: ``(pairs, out_of_reach)``.

    ``pairs``: (treated row, control row, distance, round); ``out_of_reach``: the treated rows
    with no allowed candidate at all (as opposed to allowed candidates all taken).
    """
    rows_t, rows_c = stratum.treated_rows, stratum.control_rows
    keep = ratio if replace else ratio * len(rows_t) + 1
    keep = min(keep, len(rows_c))
    lists = _nearest_allowed(
        feat_t[rows_t], feat_c[rows_c], check_t[rows_t], check_c[rows_c], widths, keep
    )
    out_of_reach = {int(rows_t[i]) for i, (order, _) in enumerate(lists) if len(order) == 0}
    pairs: list[tuple[int, int, float, int]] = []
    if replace:
        for i, (order, dist) in enumerate(lists):
            pairs.extend(
                (int(rows_t[i]), int(rows_c[order[r]]), float(dist[r]), r + 1)
                for r in range(min(ratio, len(order)))
            )
        return pairs, out_of_reach
    used = np.zeros(len(rows_c), bool)
    pointer = np.zeros(len(rows_t), dtype=np.int64)
    active = np.ones(len(rows_t), bool)
    for round_number in range(1, ratio + 1):
        for i, (order, dist) in enumerate(lists):
            if not active[i]:
                continue
            p = pointer[i]
            while p < len(order) and used[order[p]]:
                p += 1
            pointer[i] = p
            if p == len(order):
                active[i] = False  # no allowed candidate left for later rounds either
                continue
            used[order[p]] = True
            pairs.append((int(rows_t[i]), int(rows_c[order[p]]), float(dist[p]), round_number))
    return pairs, out_of_reach


def _nearest_allowed(feat_t, feat_c, check_t, check_c, widths, keep):
    """For each treated row, its ``keep`` nearest allowed candidates (ties: frame order)."""
    n_t, n_c = len(feat_t), len(feat_c)
    block = max(1, _BLOCK_ELEMENTS // max(n_c, 1))
    capped = np.isfinite(widths)
    out = []
    for start in range(0, n_t, block):
        stop = min(n_t, start + block)
        squared = np.zeros((stop - start, n_c))
        for j in range(feat_t.shape[1]):
            squared += (feat_t[start:stop, j, None] - feat_c[None, :, j]) ** 2
        for j in np.flatnonzero(capped):
            outside = np.abs(check_t[start:stop, j, None] - check_c[None, :, j]) > widths[j]
            squared[outside] = np.inf
        for row in squared:
            if keep < n_c:
                threshold = np.partition(row, keep - 1)[keep - 1]
                candidates = np.flatnonzero(row <= threshold)
            else:
                candidates = np.arange(n_c)
            candidates = candidates[np.isfinite(row[candidates])]
            ranked = candidates[np.lexsort((candidates, row[candidates]))]
            out.append((ranked, np.sqrt(row[ranked])))
    return out

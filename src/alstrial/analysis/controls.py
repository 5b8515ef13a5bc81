"""External controls from a natural-history registry (PRO-ACT format), matched to the treated.

The registry comes as frames (see :mod:`alstrial.registry.proact`, which reads the files):
``registry.alsfrs`` (``subject_id, day, scale, total``; ``scale`` is ``"R"`` or ``"original"``)
and ``registry.subjects`` (``subject_id, age_years, sex, onset_site, onset_day, death_day``).
Days are each patient's own registry days (PRO-ACT ``*_Delta``: onset is negative).

**Index day of a registry patient** (the registry analogue of the first injection): only
revised-scale (ALSFRS-R) visits count (docs/domain.md, 'ALSFRS-R': never mix the totals); visits
after death are dropped and counted; of several visits on one day the first row is kept. The index
day is the *first* visit day ``d`` such that

1. a lead-in start visit exists ``lead_in_days`` before it, within +-``window_days``
   (the visit closest to ``d - lead_in_days`` is taken; on a tie the earlier one), like the
   treated's screening visit one lead-in before the first injection;
2. onset is known and before ``d``, age is known, and the patient is alive on ``d``.

Only what is known on ``d`` counts: nothing after it is required, so a control who dies or drops
out early stays a control and counts as a treated subject who does (requiring a visit at the end
of follow-up would choose controls on survival; docs/NOTES.md). Taking the first qualifying
visit, not the best-fitting one, avoids choosing a day by its outcome. The control's visits are
the lead-in start, every visit up to ``d`` after it, and every visit in ``(d, d +
follow_up_days]``, so the engine computes the lead-in and follow-up slopes exactly as for the
treated.

**Covariates at the index day** (the same for treated and registry patients):
``age_years`` (registry: age at registry day 0 plus d / 365.25), ``disease_duration_months``
((index day - onset day) / 30.4375), ``baseline_alsfrs_r`` (total at the last visit on or before
the index day), ``delta_fs`` (Kimura 2006, :func:`alstrial.domain.alsfrs.delta_fs`, from onset to
that visit), ``lead_in_slope`` (OLS over the lead-in visits, points/month), ``onset_site``,
``sex``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alstrial.analysis.balance import BalanceTable
from alstrial.analysis.data import SUBJECT_COLUMNS, AnalysisData
from alstrial.analysis.matching import Matcher
from alstrial.analysis.registry_pool import (
    COVARIATE_COLUMNS,
    ControlPool,
    control_pool,
    ols_slopes_by_group,
)
from alstrial.analysis.results import records
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.alsfrs import delta_fs
from alstrial.domain.errors import FieldError
from alstrial.domain.time import DAYS_PER_MONTH

#: The control arm is written in the ``subjects.csv`` shape of the analysis engine.
CONTROL_SUBJECT_COLUMNS = SUBJECT_COLUMNS
CONTROL_VISIT_COLUMNS = ("subject_id", "day", "alsfrs_r_total")
#: Spellings of sex in analysis files mapped to the registry's codes (B's reader: ``M``/``F``), so
#: that exact matching on sex compares like with like; other values are kept as given.
SEX_CODES = {"m": "M", "male": "M", "f": "F", "female": "F"}


def treated_covariates(
    subjects: pd.DataFrame, visits: pd.DataFrame, days_per_month: float = DAYS_PER_MONTH
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Covariates of the treated at their index day, and the treated who cannot be matched.

    Returns ``(covariates, unusable)``; ``unusable`` has ``treated_id, reason`` (no index day,
    no onset day or onset after index, no age, no visit on or before the index day).
    """
    for column in ("subject_id", "arm", "age_years", "sex", "onset_site", "onset_day", "index_day"):
        if column not in subjects.columns:
            raise FieldError(column, f"column {column!r} is missing from the subjects")
    for column in CONTROL_VISIT_COLUMNS:
        if column not in visits.columns:
            raise FieldError(column, f"column {column!r} is missing from the visits")
    treated = subjects[subjects["arm"] == "treated"]
    rows, problems = [], []
    by_subject = {sid: group for sid, group in visits.groupby("subject_id", sort=False)}
    for subject in treated.itertuples(index=False):
        sid, reason = subject.subject_id, None
        group = by_subject.get(sid)
        if pd.isna(subject.index_day):
            reason = "no index_day"
        elif pd.isna(subject.age_years):
            reason = "no age_years"
        elif pd.isna(subject.onset_site):
            reason = "no onset_site"
        elif pd.isna(subject.onset_day) or subject.onset_day >= subject.index_day:
            reason = "no onset_day before index_day"
        elif group is None or not (group["day"] <= subject.index_day).any():
            reason = "no ALSFRS-R visit on or before index_day"
        if reason:
            problems.append({"treated_id": sid, "reason": reason})
            continue
        group = group.sort_values("day")
        lead = group[group["day"] <= subject.index_day]
        baseline_day = int(lead["day"].iloc[-1])
        baseline = float(lead["alsfrs_r_total"].iloc[-1])
        months_lead = (lead["day"].to_numpy(float) - subject.index_day) / days_per_month
        rows.append(
            {
                "subject_id": sid,
                "index_day": int(subject.index_day),
                "age_years": float(subject.age_years),
                "sex": SEX_CODES.get(str(subject.sex).strip().lower(), subject.sex),
                "onset_site": subject.onset_site,
                "disease_duration_months": (subject.index_day - subject.onset_day) / days_per_month,
                "baseline_alsfrs_r": baseline,
                "delta_fs": delta_fs(baseline, (baseline_day - subject.onset_day) / days_per_month),
                "lead_in_slope": ols_slopes_by_group(
                    np.zeros(len(lead), dtype=np.int64),
                    months_lead,
                    lead["alsfrs_r_total"].to_numpy(float),
                    1,
                )[0],
            }
        )
    covariates = pd.DataFrame(rows, columns=["subject_id", "index_day", *COVARIATE_COLUMNS])
    return covariates, pd.DataFrame(problems, columns=["treated_id", "reason"])


@dataclass(frozen=True)
class MatchResult:
    """The matching of the treated to registry controls, and everything needed to report it.

    ``matches`` (``treated_id, control_id, distance, round``), ``unmatched`` (``treated_id,
    reason``), ``balance`` (:class:`BalanceTable`), ``weights`` (ATT weight per control id),
    ``params`` (the matcher's options), ``flow`` (registry patients removed by each rule),
    ``settings`` (lead-in, follow-up, window, days per month, index rule) and
    ``caliper_widths`` (caliper in the units of each checked quantity) and ``pool`` (every
    eligible registry patient, for the report's natural-history check; not in ``to_dict()``).
    """

    matches: pd.DataFrame
    unmatched: pd.DataFrame
    balance: BalanceTable
    weights: pd.Series
    params: dict[str, Any]
    flow: dict[str, int]
    settings: dict[str, Any]
    caliper_widths: dict[str, float] = field(default_factory=dict)
    pool: ControlPool | None = None

    def summary(self) -> pd.DataFrame:
        return self.matches.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": dict(self.settings),
            "matcher": dict(self.params),
            "caliper_widths": {
                k: (v if np.isfinite(v) else None) for k, v in self.caliper_widths.items()
            },
            "registry_flow": dict(self.flow),
            "matches": records(self.matches),
            "unmatched": records(self.unmatched),
            "balance": self.balance.to_dict(),
        }


def matched_controls(
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    registry: Any,
    matcher: Matcher | None = None,
    follow_up_days: int = 90,
    lead_in_days: int = 90,
    window_days: int = 14,
    days_per_month: float = DAYS_PER_MONTH,
) -> tuple[pd.DataFrame, pd.DataFrame, MatchResult]:
    """Registry controls matched to the treated, as analysis-CSV frames, and the matching.

    ``subjects``/``visits`` are the trial's analysis frames (docs/interfaces.md, 'Analysis data');
    only ``arm == "treated"`` rows are matched. Returns ``(control_subjects, control_visits,
    result)`` with ``control_subjects`` in the ``subjects.csv`` shape (``arm = "control"``,
    ``age_years`` at the index day) and ``control_visits`` in the ``visits.csv`` shape. With
    replacement a control serving several treated subjects appears once (its weight is in
    ``result.weights``).
    """
    matcher = matcher or Matcher()
    pool = control_pool(registry, lead_in_days, follow_up_days, window_days, days_per_month)
    covariates, unusable = treated_covariates(subjects, visits, days_per_month)
    if covariates.empty:
        reasons = "; ".join(f"{r.treated_id}: {r.reason}" for r in unusable.itertuples())
        raise FieldError("arm", f"no treated subject can be matched ({reasons or 'none given'})")
    # A matching column left empty keeps a patient out of matching, counted and listed, rather
    # than stopping it for everyone (registries are incomplete; a treated subject may be too).
    needed = [c for c in (*matcher.covariates, *matcher.exact) if c in pool.candidates.columns]
    complete = pool.candidates[needed].notna().all(axis=1)
    candidates = pool.candidates[complete]
    flow = dict(pool.flow, without_matching_covariates=int((~complete).sum()))
    if candidates.empty:
        raise FieldError("registry", f"no registry patient qualifies as a control ({flow})")
    gaps = covariates[needed].isna() if set(needed) <= set(covariates.columns) else None
    if gaps is not None and gaps.any(axis=None):
        first_gap = gaps.idxmax(axis=1)[gaps.any(axis=1)]
        unusable = pd.concat(
            [
                unusable,
                pd.DataFrame(
                    {
                        "treated_id": covariates.loc[first_gap.index, "subject_id"],
                        "reason": "no " + first_gap,
                    }
                ),
            ],
            ignore_index=True,
        )
        covariates = covariates[~gaps.any(axis=1)]
    matcher.fit(covariates, candidates)
    used = candidates[candidates["subject_id"].isin(matcher.weights_.index)]
    control_subjects = used.assign(arm="control")[list(CONTROL_SUBJECT_COLUMNS)]
    control_subjects = control_subjects.reset_index(drop=True)
    control_visits = pool.visits[pool.visits["subject_id"].isin(used["subject_id"])]
    result = MatchResult(
        matches=matcher.matches_,
        unmatched=pd.concat([unusable, matcher.unmatched_], ignore_index=True),
        balance=matcher.balance_,
        weights=matcher.weights_,
        params=matcher.get_params(),
        flow=flow,
        settings=pool.settings,
        caliper_widths=matcher.caliper_widths_,
        pool=pool,
    )
    return control_subjects, control_visits.reset_index(drop=True), result


def require_no_trial_controls(subjects: pd.DataFrame) -> None:
    """Refuse registry controls for subjects that include the trial's own controls.

    The rule: trial controls and registry controls are never mixed. Registry controls replace
    a control arm in a single-arm trial; mixing them with concurrent controls would make one arm
    of two kinds of patients, followed differently and chosen differently (docs/report.md,
    "External controls"). Raises :class:`FieldError` on ``arm``.
    """
    if (subjects["arm"] == "control").any():
        raise FieldError(
            "arm",
            "the trial already has control subjects; registry controls replace a control "
            "arm, they are never mixed with one",
        )


def with_registry_controls(
    data: AnalysisData,
    registry: Any,
    settings: AnalysisSettings,
    matcher: Matcher | None = None,
) -> tuple[AnalysisData, MatchResult]:
    """The trial's treated subjects plus registry controls matched to them, and the matching.

    ``settings`` gives the follow-up window and days per month. Used by the analysis pipeline
    (:func:`alstrial.analysis.pipeline.run_pipeline`) for every caller. A trial that already has
    a control arm is refused (:func:`require_no_trial_controls`).
    """
    require_no_trial_controls(data.subjects)
    control_subjects, control_visits, matching = matched_controls(
        data.subjects,
        data.visits,
        registry,
        matcher=matcher,
        follow_up_days=settings.follow_up_days,
        days_per_month=settings.days_per_month,
    )
    controls = AnalysisData.from_frames(
        control_subjects,
        control_visits,
        "registry controls (subjects)",
        "registry controls (visits)",
    )
    return data.combine(controls), matching

"""Time to death, tracheostomy or permanent ventilation in a randomised trial.

Definitions (docs/analysis.md, "Randomised trials"; FDA's ALS guidance asks for death-aware
analyses): time is counted in days from randomisation (``index_day``) to the first of death,
tracheostomy and permanent ventilation; subjects without an event are censored at
``last_contact_day``, else at their last visit (at randomisation when that visit is the
baseline). Kaplan-Meier curves and the log-rank test
(statsmodels ``SurvfuncRight``, ``survdiff``), the Cox hazard ratio treated vs control (Efron
ties, Wald p and 95% interval; statsmodels ``PHReg``) and the restricted mean survival time
(RMST) up to ``tau`` days: the area under each arm's Kaplan-Meier curve, its variance
``sum A_i^2 d_i / (n_i (n_i - d_i))`` over event times ``t_i <= tau`` (``A_i`` the area from
``t_i`` to ``tau``; Klein & Moeschberger, as R's survRM2), the difference's SE
``sqrt(se_T^2 + se_C^2)`` and a two-sided normal p. ``tau`` is the smaller of the two arms'
largest follow-up times unless given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.results import plain, records
from alstrial.domain.errors import FieldError

EVENT_COLUMNS = ("death_day", "tracheostomy_day", "permanent_ventilation_day")
ARMS = ("treated", "control")


def event_times(data: AnalysisData) -> pd.DataFrame:
    """``subject_id, arm, time`` (days from randomisation), ``event`` (1 or 0), ``kind``."""
    subjects = data.subjects.set_index("subject_id")
    last_visit = data.visits.groupby("subject_id")["day"].max()
    days = subjects[list(EVENT_COLUMNS)].astype(float)  # NaN where the event did not happen
    event_day = days.min(axis=1)
    kind = days.fillna(np.inf).idxmin(axis=1).where(event_day.notna())
    last_visit = last_visit.reindex(subjects.index).astype(float)
    censor_day = subjects["last_contact_day"].astype(float).fillna(last_visit)
    # a subject last seen at baseline (before randomisation) is censored at randomisation
    censor_day = np.maximum(censor_day, subjects["index_day"].astype(float))
    end = event_day.fillna(censor_day)
    frame = pd.DataFrame(
        {
            "subject_id": subjects.index,
            "arm": subjects["arm"].to_numpy(),
            "time": (end - subjects["index_day"].astype(float)).to_numpy(),
            "event": event_day.notna().to_numpy().astype(int),
            "kind": kind.str.removesuffix("_day").to_numpy(),
        }
    )
    for row in frame.itertuples():
        if not np.isfinite(row.time):
            raise FieldError(
                "last_contact_day",
                f"subject {row.subject_id!r}: no event, no last_contact_day and no visit "
                "to censor at",
            )
        if row.time < 0:
            raise FieldError(
                row.kind + "_day",
                f"subject {row.subject_id!r}: follow-up ends {-row.time:g} days before "
                "randomisation",
            )
    return frame


@dataclass(frozen=True)
class RmstResult:
    tau_days: float
    treated: float
    control: float
    difference: float
    se: float
    p: float
    se_treated: float
    se_control: float

    def to_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class SurvivalResult:
    """The contract keys: ``events``, ``log_rank_p``, ``cox``, ``rmst``; ``km`` is the
    Kaplan-Meier table (one row per arm and event or censoring time)."""

    events: dict[str, int]
    subjects: dict[str, int]
    log_rank_p: float
    cox: dict[str, float]
    rmst: RmstResult
    km: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": dict(self.events),
            "subjects": dict(self.subjects),
            "log_rank_p": plain(self.log_rank_p),
            "cox": {k: plain(v) for k, v in self.cox.items()},
            "rmst": self.rmst.to_dict(),
            "km": records(self.km),
        }


def analyse_survival(data: AnalysisData, rmst_tau: float | None = None) -> SurvivalResult:
    """Kaplan-Meier, log-rank, Cox and RMST of time to the first of death, tracheostomy or
    permanent ventilation (days from randomisation)."""
    times = event_times(data)
    by_arm = {arm: times[times["arm"] == arm] for arm in ARMS}
    for arm, group in by_arm.items():
        if group.empty:
            raise FieldError("arm", f"no {arm} subject: no survival analysis")
    curves = {
        arm: SurvfuncRight(g["time"].to_numpy(), g["event"].to_numpy()) for arm, g in by_arm.items()
    }
    _, log_rank_p = survdiff(
        times["time"].to_numpy(), times["event"].to_numpy(), (times["arm"] == "treated").to_numpy()
    )
    largest = min(float(g["time"].max()) for g in by_arm.values())
    tau = largest if rmst_tau is None else float(rmst_tau)
    if not 0 < tau <= largest:
        raise FieldError(
            "rmst_tau",
            f"rmst_tau must be above 0 and at most {largest:g} days (the last day both arms "
            "have follow-up)",
        )
    return SurvivalResult(
        events={arm: int(g["event"].sum()) for arm, g in by_arm.items()},
        subjects={arm: len(g) for arm, g in by_arm.items()},
        log_rank_p=float(log_rank_p),
        cox=_cox(times),
        rmst=_rmst(curves, tau),
        km=_km_table(by_arm, curves),
    )


def _cox(times: pd.DataFrame, confidence: float = 0.95) -> dict[str, float]:
    """Hazard ratio treated vs control, Efron ties, Wald interval and p."""
    treated = (times["arm"] == "treated").to_numpy(float)[:, None]
    if times["event"].sum() == 0:
        return {"hazard_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan}
    fit = PHReg(
        times["time"].to_numpy(), treated, status=times["event"].to_numpy(), ties="efron"
    ).fit()
    coefficient, se = float(fit.params[0]), float(fit.bse[0])
    z = stats.norm.ppf(0.5 + confidence / 2)
    return {
        "hazard_ratio": float(np.exp(coefficient)),
        "ci_low": float(np.exp(coefficient - z * se)),
        "ci_high": float(np.exp(coefficient + z * se)),
        "p": float(2 * stats.norm.sf(abs(coefficient / se))),
    }


def restricted_mean(curve: SurvfuncRight, tau: float) -> tuple[float, float]:
    """Area under the Kaplan-Meier curve from 0 to ``tau`` (days) and its standard error."""
    keep = curve.surv_times <= tau
    starts = np.concatenate([[0.0], curve.surv_times[keep]])
    heights = np.concatenate([[1.0], curve.surv_prob[keep]])
    widths = np.diff(np.concatenate([starts, [tau]]))
    area = float((heights * widths).sum())
    after = np.cumsum((heights[1:] * widths[1:])[::-1])[::-1]  # area from each t_i to tau
    deaths, at_risk = curve.n_events[keep], curve.n_risk[keep]
    usable = (deaths > 0) & (at_risk > deaths)
    variance = np.sum(
        after[usable] ** 2 * deaths[usable] / (at_risk[usable] * (at_risk[usable] - deaths[usable]))
    )
    return area, float(np.sqrt(variance))


def _rmst(curves: dict[str, SurvfuncRight], tau: float) -> RmstResult:
    treated, se_t = restricted_mean(curves["treated"], tau)
    control, se_c = restricted_mean(curves["control"], tau)
    se = float(np.hypot(se_t, se_c))
    difference = treated - control
    p = float(2 * stats.norm.sf(abs(difference) / se)) if se > 0 else np.nan
    return RmstResult(tau, treated, control, difference, se, p, se_t, se_c)


def _km_table(by_arm: dict[str, pd.DataFrame], curves: dict[str, SurvfuncRight]) -> pd.DataFrame:
    """One row per arm and distinct time: at risk, events, censored, survival."""
    rows = []
    for arm, group in by_arm.items():
        curve = curves[arm]
        censored = group[group["event"] == 0]["time"].value_counts()
        times = np.union1d(curve.surv_times, censored.index.to_numpy(float))
        survival = curve.surv_prob
        for t in times:
            at_or_before = curve.surv_times <= t
            rows.append(
                {
                    "arm": arm,
                    "time": float(t),
                    "n_risk": int((group["time"] >= t).sum()),
                    "n_event": int(((group["time"] == t) & (group["event"] == 1)).sum()),
                    "n_censored": int(censored.get(t, 0)),
                    "survival": float(survival[at_or_before][-1]) if at_or_before.any() else 1.0,
                }
            )
    return pd.DataFrame(rows)

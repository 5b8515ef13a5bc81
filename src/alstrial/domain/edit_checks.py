"""Edit checks: the protocol's rules across records, evaluated on one subject's plain data.

Field validation refuses an impossible value at entry (an ALSFRS-R item of 5); an edit check
flags a *possible* value that a monitor should query (a 10-point ALSFRS-R drop in a month). The
protocol declares its checks in ``[[checks]]`` (format: docs/protocols.md, "[[checks]]"); the
vocabulary of kinds is closed (:data:`CHECK_KINDS`) so that every check has a tested evaluator.
A failed check becomes a query on the record and field it names (docs/datamanagement.md).

Everything here is pure: callers gather one subject's records into :class:`SubjectData` (dates
are the site's local calendar dates, docs/domain.md "Time") and get back :class:`Finding` s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

#: The closed vocabulary of check kinds (docs/protocols.md, "[[checks]]").
CHECK_KINDS = (
    "alsfrs_drop",
    "visit_out_of_window",
    "fvc_below_without_respiratory_ae",
    "dose_out_of_window",
    "ae_onset_before_consent",
)
#: Days either side of a low FVC in which a respiratory adverse event explains it, when the
#: check does not say (one monthly visit interval).
DEFAULT_RESPIRATORY_AE_DAYS = 30
#: Adverse events that explain a low FVC: the coded body system "respiratory" (respiratory
#: failure, pulmonary embolism) and pneumonia, which the coding list files under infections
#: (docs/safety.md, "Coding") but which lowers FVC all the same.
RESPIRATORY_BODY_SYSTEMS = frozenset({"respiratory"})
RESPIRATORY_TERMS = frozenset({"pneumonia"})


@dataclass(frozen=True)
class EditCheck:
    """One declared check. ``points`` (ALSFRS-R points, ``alsfrs_drop``), ``percent`` (% of
    predicted FVC) and ``within_days`` (days, FVC check) are the kinds' parameters."""

    code: str
    kind: str
    description: str = ""
    points: int | None = None
    percent: float | None = None
    within_days: int | None = None

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "description": self.description,
            "points": self.points,
            "percent": self.percent,
            "within_days": self.within_days,
        }


@dataclass(frozen=True)
class VisitWindow:
    """A protocol visit's window in days from day 0 (inclusive)."""

    visit: str
    earliest_day: int
    latest_day: int


@dataclass(frozen=True)
class Measurement:
    """One value measured at a visit: ``record`` identifies the stored form (its primary key)."""

    record: int
    visit: str
    on: date
    value: float


@dataclass(frozen=True)
class VisitDate:
    record: int
    visit: str
    on: date


@dataclass(frozen=True)
class Dose:
    """Administration ``number`` (1, 2, ...) given on ``on`` (the site's local date)."""

    record: int
    number: int
    on: date


@dataclass(frozen=True)
class AdverseEventOnset:
    record: int
    term: str
    body_system: str | None
    onset: date

    @property
    def respiratory(self) -> bool:
        return (self.body_system or "").lower() in RESPIRATORY_BODY_SYSTEMS or (
            self.term.lower() in RESPIRATORY_TERMS
        )


@dataclass(frozen=True)
class SubjectData:
    """What the checks read about one subject. ``day_zero`` is None before day 0 happened;
    ``windows`` are the protocol's visits; ``dose_visits[k]`` is the visit carrying dose k+1."""

    subject: int
    consent_date: date | None
    day_zero: date | None
    windows: tuple[VisitWindow, ...] = ()
    dose_visits: tuple[str, ...] = ()
    visits: tuple[VisitDate, ...] = ()
    alsfrs_totals: tuple[Measurement, ...] = ()
    fvc_percents: tuple[Measurement, ...] = ()
    doses: tuple[Dose, ...] = ()
    adverse_events: tuple[AdverseEventOnset, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Finding:
    """A failed check on one stored value: the form (its key, e.g. ``alsfrs_r``), the record's
    primary key and the field a query is raised on, and the message the site reads."""

    check: str
    form: str
    record: int
    field: str
    message: str


def _window_of(data: SubjectData, visit: str) -> VisitWindow | None:
    return next((w for w in data.windows if w.visit == visit), None)


def _window_text(window: VisitWindow) -> str:
    return f"days {window.earliest_day} to {window.latest_day}"


def check_alsfrs_drop(check: EditCheck, data: SubjectData) -> list[Finding]:
    """A total more than ``points`` below the previous visit's total (visits in date order)."""
    ordered = sorted(data.alsfrs_totals, key=lambda m: m.on)
    findings = []
    for before, after in pairwise(ordered):
        drop = before.value - after.value
        if drop > check.points:
            findings.append(
                Finding(
                    check.code,
                    "alsfrs_r",
                    after.record,
                    "total",
                    f"ALSFRS-R total fell {drop:g} points from {before.visit} ({before.value:g}) "
                    f"to {after.visit} ({after.value:g}); more than {check.points} needs "
                    "confirmation",
                )
            )
    return findings


def check_visit_out_of_window(check: EditCheck, data: SubjectData) -> list[Finding]:
    """A visit dated outside its window (needs day 0; visits the protocol lacks are skipped)."""
    if data.day_zero is None:
        return []
    findings = []
    for visit in data.visits:
        window = _window_of(data, visit.visit)
        if window is None:
            continue
        day = (visit.on - data.day_zero).days
        if not window.earliest_day <= day <= window.latest_day:
            findings.append(
                Finding(
                    check.code,
                    "visit",
                    visit.record,
                    "visit_date",
                    f"{visit.visit} on study day {day} is outside its window "
                    f"({_window_text(window)})",
                )
            )
    return findings


def check_fvc_below_without_respiratory_ae(check: EditCheck, data: SubjectData) -> list[Finding]:
    """An FVC below ``percent`` % of predicted with no respiratory adverse event whose onset is
    within ``within_days`` days of it (either side)."""
    days = check.within_days if check.within_days is not None else DEFAULT_RESPIRATORY_AE_DAYS
    findings = []
    for fvc in data.fvc_percents:
        if fvc.value >= check.percent:
            continue
        explained = any(
            ae.respiratory and abs((ae.onset - fvc.on).days) <= days for ae in data.adverse_events
        )
        if not explained:
            findings.append(
                Finding(
                    check.code,
                    "fvc",
                    fvc.record,
                    "fvc_percent_predicted",
                    f"FVC {fvc.value:g}% of predicted at {fvc.visit} is below {check.percent:g}% "
                    f"and no respiratory adverse event starts within {days} days: record one "
                    "or confirm the value",
                )
            )
    return findings


def check_dose_out_of_window(check: EditCheck, data: SubjectData) -> list[Finding]:
    """Dose k given outside the window of the visit that carries it (needs day 0)."""
    if data.day_zero is None:
        return []
    findings = []
    for dose in data.doses:
        if not 1 <= dose.number <= len(data.dose_visits):
            continue
        window = _window_of(data, data.dose_visits[dose.number - 1])
        if window is None:
            continue
        day = (dose.on - data.day_zero).days
        if not window.earliest_day <= day <= window.latest_day:
            findings.append(
                Finding(
                    check.code,
                    "administration",
                    dose.record,
                    "administered_at",
                    f"dose {dose.number} on study day {day} is outside the window of "
                    f"{window.visit} ({_window_text(window)})",
                )
            )
    return findings


def check_ae_onset_before_consent(check: EditCheck, data: SubjectData) -> list[Finding]:
    """An adverse event starting before informed consent (a medical-history item, or a typo)."""
    if data.consent_date is None:
        return []
    return [
        Finding(
            check.code,
            "adverse_event",
            ae.record,
            "onset_date",
            f"{ae.term} started on {ae.onset}, before consent ({data.consent_date}): record it "
            "as medical history or correct the date",
        )
        for ae in data.adverse_events
        if ae.onset < data.consent_date
    ]


EVALUATORS: dict[str, Callable[[EditCheck, SubjectData], list[Finding]]] = {
    "alsfrs_drop": check_alsfrs_drop,
    "visit_out_of_window": check_visit_out_of_window,
    "fvc_below_without_respiratory_ae": check_fvc_below_without_respiratory_ae,
    "dose_out_of_window": check_dose_out_of_window,
    "ae_onset_before_consent": check_ae_onset_before_consent,
}


def run_checks(checks: tuple[EditCheck, ...], data: SubjectData) -> list[Finding]:
    """Every finding of every check on one subject, in the protocol's order of checks."""
    return [finding for check in checks for finding in EVALUATORS[check.kind](check, data)]

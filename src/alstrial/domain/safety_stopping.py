"""Stopping rules: a pure evaluation of a protocol's rules over a trial's adverse events.

A protocol (``protocol_model.StoppingRule``) says: take ``action`` (``halt_enrolment``,
``halt_dosing``, ``halt_trial``, ``dsmb_review``) once ``subjects`` distinct subjects have had
``event`` of CTCAE v5 grade >= ``min_grade`` (when given), where ``event`` is
- ``related_adverse_event``: any event related (possible or more) to the product or a procedure;
- ``related_serious_adverse_event``: the same, and serious (ICH E2A);
- ``related_death``: the same, and fatal (grade 5).
Subjects are counted, not events: one subject with three related grade 3 events counts once,
as the rules are written ("N subjects have ...").

The evaluation runs on every adverse event save (the web service calls it) and on demand; it
never writes anything. Lifting a halt is a decision recorded by people, not by this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from alstrial.domain.errors import FieldError

STOPPING_EVENTS = ("related_adverse_event", "related_serious_adverse_event", "related_death")
HALTS_ENROLMENT = frozenset({"halt_enrolment", "halt_trial"})


class RuleLike(Protocol):
    event: str
    subjects: int
    action: str
    min_grade: int | None
    description: str


class EventLike(Protocol):
    subject_id: str
    grade: int
    is_related: bool
    is_serious: bool


@dataclass(frozen=True)
class EventFacts:
    """The facts a stopping rule needs about one event (``event_id`` to list it)."""

    event_id: Any
    subject_id: str
    grade: int
    is_related: bool
    is_serious: bool


def _matches(rule: RuleLike, event: EventLike) -> bool:
    if not event.is_related:
        return False
    if rule.min_grade is not None and int(event.grade) < rule.min_grade:
        return False
    if rule.event == "related_serious_adverse_event":
        return bool(event.is_serious)
    if rule.event == "related_death":
        return int(event.grade) == 5
    return True


def describe(rule: RuleLike) -> str:
    """The rule in words, e.g. "halt enrolment if 2 subjects have a related event of grade >= 3"."""
    if rule.description:
        return rule.description.strip().rstrip(".")  # shown inside sentences and lists
    what = {
        "related_adverse_event": "a related adverse event",
        "related_serious_adverse_event": "a related serious adverse event",
        "related_death": "a related death",
    }[rule.event]
    graded = rule.min_grade and rule.event != "related_death"
    grade = f" of grade >= {rule.min_grade}" if graded else ""
    who = "any subject has" if rule.subjects == 1 else f"{rule.subjects} subjects have"
    return f"{rule.action.replace('_', ' ')} if {who} {what}{grade}"


@dataclass(frozen=True)
class RuleResult:
    """One rule's evaluation: the subjects (sorted) and events that count towards it."""

    rule: RuleLike
    subject_ids: tuple[str, ...]
    event_ids: tuple[Any, ...]

    @property
    def count(self) -> int:
        return len(self.subject_ids)

    @property
    def triggered(self) -> bool:
        return self.count >= self.rule.subjects

    def to_dict(self) -> dict:
        return {
            "rule": describe(self.rule),
            "event": self.rule.event,
            "min_grade": self.rule.min_grade,
            "threshold_subjects": self.rule.subjects,
            "action": self.rule.action,
            "subjects_counted": self.count,
            "subject_ids": list(self.subject_ids),
            "triggered": self.triggered,
        }


@dataclass(frozen=True)
class StoppingEvaluation:
    """All rules of a protocol evaluated over one trial's events."""

    results: tuple[RuleResult, ...]

    @property
    def triggered(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.triggered)

    @property
    def halts_enrolment(self) -> bool:
        """True when a triggered rule stops enrolment (``halt_enrolment`` or ``halt_trial``)."""
        return any(r.rule.action in HALTS_ENROLMENT for r in self.triggered)

    def to_dict(self) -> dict:
        return {
            "halts_enrolment": self.halts_enrolment,
            "rules": [r.to_dict() for r in self.results],
        }

    def summary(self) -> pd.DataFrame:
        """One row per rule: rule, threshold, subjects counted, triggered, action."""
        columns = ["rule", "threshold_subjects", "subjects_counted", "triggered", "action"]
        rows = [{k: r.to_dict()[k] for k in columns} for r in self.results]
        return pd.DataFrame(rows, columns=columns)


def check_rule(rule: RuleLike) -> None:
    """Refuse a rule the evaluation cannot read (FieldError naming the attribute)."""
    if rule.event not in STOPPING_EVENTS:
        raise FieldError("event", f"{rule.event!r} is not one of {', '.join(STOPPING_EVENTS)}")
    if int(rule.subjects) < 1:
        raise FieldError("subjects", f"at least 1 subject, got {rule.subjects}")
    if rule.min_grade is not None and not 1 <= int(rule.min_grade) <= 5:
        raise FieldError("min_grade", f"the CTCAE grade is 1-5, got {rule.min_grade}")


def evaluate_stopping_rules(
    rules: Iterable[RuleLike], events: Iterable[EventLike]
) -> StoppingEvaluation:
    """Evaluate each rule over ``events`` (validated adverse events of one trial)."""
    events = list(events)
    results = []
    for rule in rules:
        check_rule(rule)
        hits = [e for e in events if _matches(rule, e)]
        subjects = tuple(sorted({str(e.subject_id) for e in hits}))
        ids = tuple(getattr(e, "event_id", None) for e in hits)
        results.append(RuleResult(rule=rule, subject_ids=subjects, event_ids=ids))
    return StoppingEvaluation(results=tuple(results))

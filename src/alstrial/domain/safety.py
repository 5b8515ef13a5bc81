"""Adverse events: the vocabularies, validation of one report, and the derived safety facts.

Rules (docs/domain.md, 'Adverse events'):
- severity is the CTCAE v5 grade 1-5 (1 mild, 2 moderate, 3 severe or medically significant,
  4 life-threatening, 5 death related to the event);
- seriousness follows ICH E2A (section II.B): an event is serious when it meets at least one
  criterion; "severe" is not "serious";
- relatedness is assessed separately for the cell product and for each procedure of the protocol
  (certain / probable / possible / unlikely / unrelated); "related" means possible or more;
- expectedness is judged against the protocol's reference list (``safety_terms.is_expected``);
- a SUSAR is serious AND related (possible or more, to anything) AND unexpected: it is derived
  here, never asked on a form.

:func:`validate_adverse_event` is the one door: the web form, the JSON API and any importer call
it, and it raises :class:`~alstrial.domain.errors.ValidationError` naming every bad field, so
nothing is saved from a bad report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.safety_clock import as_aware, as_timezone, local_date
from alstrial.domain.safety_terms import CodedTerm, TermList, is_expected, shipped_terms


class Grade(IntEnum):
    """CTCAE v5 severity grades."""

    MILD = 1
    MODERATE = 2
    SEVERE = 3
    LIFE_THREATENING = 4
    DEATH = 5

    @property
    def label(self) -> str:
        return GRADE_LABELS[self]


GRADE_LABELS = {
    Grade.MILD: "1 mild",
    Grade.MODERATE: "2 moderate",
    Grade.SEVERE: "3 severe or medically significant",
    Grade.LIFE_THREATENING: "4 life-threatening",
    Grade.DEATH: "5 death",
}


class Seriousness(StrEnum):
    """ICH E2A seriousness criteria (multi-select)."""

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    MEDICALLY_IMPORTANT = "medically_important"

    @property
    def label(self) -> str:
        return SERIOUSNESS_LABELS[self]


SERIOUSNESS_LABELS = {
    Seriousness.DEATH: "results in death",
    Seriousness.LIFE_THREATENING: "is life-threatening",
    Seriousness.HOSPITALISATION: "requires or prolongs hospitalisation",
    Seriousness.DISABILITY: "persistent or significant disability or incapacity",
    Seriousness.CONGENITAL_ANOMALY: "congenital anomaly or birth defect",
    Seriousness.MEDICALLY_IMPORTANT: "other medically important event",
}


class Relatedness(StrEnum):
    """Causality categories, strongest first; possible or more counts as related."""

    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"
    UNRELATED = "unrelated"

    @property
    def is_related(self) -> bool:
        return self in (Relatedness.CERTAIN, Relatedness.PROBABLE, Relatedness.POSSIBLE)


class Cause(StrEnum):
    """What an event's relatedness is assessed against: the product and each procedure.

    The values are the protocol's names (``protocol_model.CELL_PRODUCT`` and ``PROCEDURES``).
    """

    CELL_PRODUCT = "cell_product"
    BONE_MARROW_ASPIRATION = "bone_marrow_aspiration"
    LUMBAR_PUNCTURE = "lumbar_puncture"
    SPINAL_SURGERY = "spinal_surgery"

    @property
    def field(self) -> str:
        """The form/API field holding this cause's relatedness."""
        return f"relatedness_{self.value}"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Outcome(StrEnum):
    """Outcome of the event (the CDISC AEOUT categories)."""

    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


FATAL_OR_LIFE_THREATENING = frozenset({Seriousness.DEATH, Seriousness.LIFE_THREATENING})
#: Outcomes that need a resolution date, and outcomes that must not have one.
RESOLVED_OUTCOMES = frozenset({Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE})
ONGOING_OUTCOMES = frozenset({Outcome.RECOVERING, Outcome.NOT_RECOVERED})


class ActionTaken(StrEnum):
    """Action taken with the study treatment because of the event (after CDISC AEACN)."""

    NONE = "none"
    TREATMENT_DELAYED = "treatment_delayed"
    TREATMENT_WITHDRAWN = "treatment_withdrawn"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AdverseEvent:
    """One validated adverse event report (the initial report or a follow-up).

    Dates are calendar dates at the site; ``awareness_at`` is an aware datetime (the moment the
    site first knew the event met a seriousness criterion; day 0 of the reporting clock).
    ``relatedness`` maps each assessed :class:`Cause` to its category.
    """

    subject_id: str
    coded: CodedTerm
    onset_date: date
    grade: Grade
    seriousness_criteria: frozenset[Seriousness]
    relatedness: Mapping[Cause, Relatedness]
    expected: bool
    action_taken: ActionTaken
    outcome: Outcome
    resolution_date: date | None = None
    awareness_at: datetime | None = None
    follow_up_number: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def term(self) -> str:
        return self.coded.term

    @property
    def is_serious(self) -> bool:
        return bool(self.seriousness_criteria)

    @property
    def related_causes(self) -> tuple[Cause, ...]:
        """Causes assessed possible or more, in :class:`Cause` order."""
        return tuple(c for c in Cause if c in self.relatedness and self.relatedness[c].is_related)

    @property
    def is_related(self) -> bool:
        return bool(self.related_causes)

    @property
    def is_susar(self) -> bool:
        return is_susar(self.seriousness_criteria, self.relatedness.values(), self.expected)

    @property
    def is_fatal_or_life_threatening(self) -> bool:
        return is_fatal_or_life_threatening(self.seriousness_criteria)

    @property
    def duration_days(self) -> int | None:
        """Days from onset to resolution (same day = 0); None while unresolved."""
        if self.resolution_date is None:
            return None
        return (self.resolution_date - self.onset_date).days

    def to_dict(self) -> dict:
        return {
            "subject_id": self.subject_id,
            "term": self.term,
            "verbatim": self.coded.verbatim,
            "code": self.coded.code,
            "needs_coding": self.coded.needs_coding,
            "onset_date": self.onset_date.isoformat(),
            "resolution_date": self.resolution_date.isoformat() if self.resolution_date else None,
            "grade": int(self.grade),
            "serious": self.is_serious,
            "seriousness_criteria": sorted(c.value for c in self.seriousness_criteria),
            "relatedness": {c.value: r.value for c, r in self.relatedness.items()},
            "related": self.is_related,
            "expected": self.expected,
            "susar": self.is_susar,
            "action_taken": self.action_taken.value,
            "outcome": self.outcome.value,
            "awareness_at": self.awareness_at.isoformat() if self.awareness_at else None,
            "follow_up_number": self.follow_up_number,
            "warnings": list(self.warnings),
        }


def is_fatal_or_life_threatening(seriousness_criteria: Iterable[Seriousness | str]) -> bool:
    """Fatal or life-threatening (ICH E2A criteria): a SUSAR then has the 7-day clock (III.A.1)."""
    return bool({Seriousness(c) for c in seriousness_criteria} & FATAL_OR_LIFE_THREATENING)


def is_susar(
    seriousness_criteria: Iterable[Seriousness | str],
    relatedness: Iterable[Relatedness | str],
    expected: bool,
) -> bool:
    """SUSAR = serious AND related (possible or more, to any cause) AND unexpected (DOMAIN 8)."""
    serious = any(True for _ in seriousness_criteria)
    related = any(Relatedness(r).is_related for r in relatedness)
    return serious and related and not expected


# --- validation -------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _choice(enum: type, data: Mapping[str, Any], name: str, errors: list[FieldError]):
    value = data.get(name)
    if _blank(value):
        errors.append(FieldError(name, "is required"))
        return None
    try:
        return enum(value.strip() if isinstance(value, str) else value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        errors.append(FieldError(name, f"{value!r} is not one of: {allowed}"))
        return None


def _date(data: Mapping[str, Any], name: str, errors: list[FieldError]) -> date | None:
    value = data.get(name)
    if _blank(value):
        return None
    if isinstance(value, datetime):
        errors.append(FieldError(name, "give a date, not a date and time"))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append(FieldError(name, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _grade(data: Mapping[str, Any], errors: list[FieldError]) -> Grade | None:
    value = data.get("grade")
    if _blank(value):
        errors.append(FieldError("grade", "the CTCAE grade (1-5) is required"))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or not 1 <= number <= 5:
        errors.append(FieldError("grade", f"the CTCAE v5 grade is 1-5, got {value!r}"))
        return None
    return Grade(number)


def _criteria(data: Mapping[str, Any], errors: list[FieldError]) -> frozenset[Seriousness]:
    raw = data.get("seriousness_criteria") or ()
    if isinstance(raw, str):
        raw = [p for p in raw.replace(";", ",").split(",") if p.strip()]
    out = set()
    for value in raw:
        try:
            out.add(Seriousness(str(value).strip()))
        except ValueError:
            allowed = ", ".join(s.value for s in Seriousness)
            errors.append(FieldError("seriousness_criteria", f"{value!r} is not one of: {allowed}"))
    return frozenset(out)


def _bool(value: Any) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on", "y"):
        return True
    if text in ("false", "no", "0", "off", "n"):
        return False
    raise ValueError(value)


def validate_adverse_event(
    data: Mapping[str, Any],
    *,
    consent_date: date | None,
    now: datetime,
    site_timezone: str,
    reference_terms: Iterable[str],
    causes: Iterable[Cause | str] = tuple(Cause),
    terms: TermList | None = None,
) -> AdverseEvent:
    """Validate one adverse event report and return it with its derived facts.

    ``data`` holds the form/API fields: ``subject_id``, ``term`` (verbatim), ``onset_date``,
    ``resolution_date``, ``grade`` (CTCAE v5, 1-5), ``serious`` (optional; must agree with the
    criteria), ``seriousness_criteria`` (ICH E2A), ``relatedness_<cause>`` for each cause,
    ``action_taken``, ``outcome``, ``awareness_at`` (required when serious; naive values are
    read in ``site_timezone``) and ``follow_up_number`` (0 = initial report).
    ``consent_date`` is the subject's informed consent date (None: not consented); ``causes``
    are the product and the protocol's procedures, each of which needs a relatedness;
    ``reference_terms`` is the protocol's list of expected terms. Raises ValidationError naming
    every bad field.
    """
    errors: list[FieldError] = []
    tz = as_timezone(site_timezone)
    today = local_date(now, tz)
    terms = terms or shipped_terms()

    subject_id = str(data.get("subject_id") or "").strip()
    if not subject_id:
        errors.append(FieldError("subject_id", "the subject is required"))
    elif consent_date is None:
        errors.append(FieldError("subject_id", f"subject {subject_id} has not given consent"))

    coded = None
    try:
        coded = terms.code(str(data.get("term") or ""))
    except FieldError as error:
        errors.append(error)

    onset = _date(data, "onset_date", errors)
    if onset is None and not any(e.field == "onset_date" for e in errors):
        errors.append(FieldError("onset_date", "the onset date is required"))
    resolution = _date(data, "resolution_date", errors)
    if onset is not None:
        if onset > today:
            errors.append(FieldError("onset_date", f"{onset} is in the future"))
        if consent_date is not None and onset < consent_date:
            errors.append(
                FieldError(
                    "onset_date",
                    f"{onset} is before informed consent ({consent_date}); "
                    "record it as medical history",
                )
            )
    if resolution is not None:
        if onset is not None and resolution < onset:
            errors.append(
                FieldError("resolution_date", f"{resolution} is before the onset date {onset}")
            )
        if resolution > today:
            errors.append(FieldError("resolution_date", f"{resolution} is in the future"))

    grade = _grade(data, errors)
    criteria = _criteria(data, errors)
    try:
        serious_flag = _bool(data.get("serious"))
    except ValueError:
        errors.append(FieldError("serious", f"{data.get('serious')!r} is not yes or no"))
        serious_flag = None
    if serious_flag is True and not criteria:
        errors.append(
            FieldError("seriousness_criteria", "a serious event needs at least one criterion")
        )
    if serious_flag is False and criteria:
        errors.append(FieldError("serious", "seriousness criteria are ticked: it is serious"))

    action = _choice(ActionTaken, data, "action_taken", errors)
    outcome = _choice(Outcome, data, "outcome", errors)
    if grade == Grade.DEATH and outcome is not None and outcome != Outcome.FATAL:
        errors.append(FieldError("outcome", "grade 5 (death) needs the outcome 'fatal'"))
    if outcome == Outcome.FATAL and grade is not None and grade != Grade.DEATH:
        errors.append(FieldError("grade", "an event with a fatal outcome is grade 5 (CTCAE v5)"))
    fatal = grade == Grade.DEATH or outcome == Outcome.FATAL
    if fatal and Seriousness.DEATH not in criteria:
        errors.append(
            FieldError("seriousness_criteria", "a fatal event is serious: tick 'results in death'")
        )
    if Seriousness.DEATH in criteria and not fatal:
        errors.append(FieldError("outcome", "'results in death' is ticked: the outcome is fatal"))
    if outcome in RESOLVED_OUTCOMES and resolution is None:
        errors.append(FieldError("resolution_date", f"outcome {outcome.value!r} needs the date"))
    if outcome in ONGOING_OUTCOMES and resolution is not None:
        errors.append(
            FieldError("resolution_date", f"an event that is {outcome.value!r} has no end date")
        )

    relatedness: dict[Cause, Relatedness] = {}
    in_protocol = {Cause(c) for c in causes}
    for cause in Cause:
        value = data.get(cause.field)
        if cause not in in_protocol:
            if not _blank(value):
                errors.append(
                    FieldError(cause.field, f"{cause.label} is not a procedure of this protocol")
                )
            continue
        level = _choice(Relatedness, data, cause.field, errors)
        if level is not None:
            relatedness[cause] = level

    awareness = None
    if not _blank(data.get("awareness_at")):
        try:
            awareness = as_aware(data["awareness_at"], tz, "awareness_at")
        except FieldError as error:
            errors.append(error)
    if criteria and awareness is None and not any(e.field == "awareness_at" for e in errors):
        errors.append(FieldError("awareness_at", "a serious event needs the time of awareness"))
    if awareness is not None:
        if awareness > now:
            errors.append(FieldError("awareness_at", "is in the future"))
        if onset is not None and local_date(awareness, tz) < onset:
            errors.append(FieldError("awareness_at", f"is before the onset date {onset}"))

    follow_up = data.get("follow_up_number", 0)
    try:
        follow_up = int(follow_up or 0)
        if follow_up < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(FieldError("follow_up_number", f"{follow_up!r} is not a number >= 0"))

    if errors:
        raise ValidationError(errors)
    # Every None below has added an error above; the checks narrow types for readers.
    assert coded is not None
    assert onset is not None
    assert grade is not None
    assert action is not None
    assert outcome is not None
    expected = is_expected(coded, int(grade), reference_terms, terms)
    return AdverseEvent(
        subject_id=subject_id,
        coded=coded,
        onset_date=onset,
        grade=grade,
        seriousness_criteria=criteria,
        relatedness=relatedness,
        expected=expected,
        action_taken=action,
        outcome=outcome,
        resolution_date=resolution,
        awareness_at=awareness,
        follow_up_number=follow_up,
        warnings=_warnings(grade, criteria, coded),
    )


def _warnings(grade: Grade, criteria: frozenset[Seriousness], coded: CodedTerm) -> tuple[str, ...]:
    """Things a safety monitor should look at; they do not block the save."""
    out = []
    if grade == Grade.LIFE_THREATENING and not criteria:
        out.append("grade 4 (life-threatening) but not marked serious: check ICH E2A criteria")
    if coded.needs_coding:
        out.append(f"term {coded.verbatim!r} is not in the term list: it needs coding")
    return tuple(out)

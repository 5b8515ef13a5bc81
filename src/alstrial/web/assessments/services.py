"""The one door for writing a visit's forms, and the ALSFRS-R score shown with them.

The web form (``views.py``) and the JSON API (``web/api/alsfrs.py``) both call these functions,
so a form is recorded the same way whichever way it arrives:

- :func:`record_visit_form` saves any visit form together with the visit date: the visit is
  recorded as done on that date (when it is not already) and the form is saved in the same
  transaction, so a refusal of either leaves both unwritten (docs/web.md "Clinical records");
- :func:`record_alsfrs` puts the twelve item scores on an ALSFRS-R and records it that way;
- :func:`delete_visit_form` and :func:`record_endpoint_event` are the other two writes;
- :func:`alsfrs_score` is the score display: total, the four subscores, King's and MiToS stage
  (rules in ``alstrial.domain.alsfrs`` and ``alstrial.domain.staging``; docs/domain.md).

Writes need a data-entry role at the visit's site (coordinator, investigator, site admin);
anyone else gets ``PermissionDenied``. Values are validated by the records' domain checks
(``ValidationError`` naming each field), a stale version raises ``ConflictError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from alstrial.domain.alsfrs import AlsfrsR
from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.errors import ValidationError
from alstrial.domain.staging import kings_stage, mitos_stage
from alstrial.web.assessments.models import AlsfrsAssessment, EndpointEvent, VisitAssessment
from alstrial.web.core.access import require_role
from alstrial.web.core.models import DATA_ENTRY_ROLES
from alstrial.web.core.records import delete_clinical, save_clinical
from alstrial.web.subjects.models import VisitStatus
from alstrial.web.subjects.services import record_visit


def record_visit_form(
    record: VisitAssessment,
    user,
    *,
    visit_date: date | None,
    reason: str = "",
    expected_version=None,
) -> VisitAssessment:
    """Save the visit form ``record`` (its ``visit`` set) with the date the visit took place.

    ``visit_date`` records the visit as done on that date when it is not yet, or moves it;
    ``None`` leaves the visit as it is (it must already be done: the form's own check).
    ``reason`` is the audit trail's reason for both changes (required to change saved data).
    """
    visit = record.visit
    require_role(user, visit.subject.site, *DATA_ENTRY_ROLES)
    with transaction.atomic():
        if visit_date is not None and (
            visit.status != VisitStatus.DONE or visit.visit_date != visit_date
        ):
            record_visit(visit, user, visit_date=visit_date, reason=reason)
        save_clinical(record, user, reason, expected_version=expected_version)
    return record


def delete_visit_form(record: VisitAssessment, user, *, reason: str, expected_version=None) -> None:
    """Delete a visit form entered in error (``reason`` required; the trail keeps it all)."""
    require_role(user, record.visit.subject.site, *DATA_ENTRY_ROLES)
    delete_clinical(record, user, reason, expected_version=expected_version)


def record_endpoint_event(
    event: EndpointEvent, user, *, reason: str = "", expected_version=None
) -> EndpointEvent:
    """Record or correct a death, tracheostomy or permanent ventilation (``reason`` required
    to change a saved one); the event's own checks run on save."""
    require_role(user, event.subject.site, *DATA_ENTRY_ROLES)
    return save_clinical(event, user, reason, expected_version=expected_version)


def _item_value(value: Any) -> Any:
    """A typed or sent score as the domain reads it: blank text (an unscored radio) is None."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def record_alsfrs(
    assessment: AlsfrsAssessment,
    items: Mapping[str, Any],
    user,
    *,
    visit_date: date | None,
    reason: str = "",
    expected_version=None,
) -> AlsfrsAssessment:
    """Record the ALSFRS-R ``assessment`` with the scores ``items`` (item key -> 0-4 points).

    Every item of the questionnaire is set: a key missing from ``items`` is unscored, so a
    change sends all twelve. The domain validates them on save (range, exactly one of 5a/5b)
    and the total is computed, never taken from the caller.
    """
    for key in ITEM_KEYS:
        setattr(assessment, key, _item_value(items.get(key)))
    record_visit_form(
        assessment, user, visit_date=visit_date, reason=reason, expected_version=expected_version
    )
    return assessment


@dataclass(frozen=True)
class AlsfrsScore:
    """What the form's score panel and the API show for one ALSFRS-R.

    When the items are complete and valid: ``total`` (0-48 points), ``subscores`` (domain ->
    0-12 points), ``kings_stage`` (``1``-``4B``) with ``kings_flags`` and ``mitos_stage``
    (0-4). Otherwise ``complete`` is False, ``total`` is the sum of the scores entered so far
    and ``problems`` says what is missing or wrong, in the domain's words.
    """

    complete: bool
    total: int
    subscores: dict[str, int] = field(default_factory=dict)
    kings_stage: str = ""
    kings_flags: tuple[str, ...] = ()
    mitos_stage: int | None = None
    problems: tuple[str, ...] = ()

    def subscore_rows(self) -> list[tuple[str, int]]:
        """``(name, points)`` per domain, named for people (``fine motor``)."""
        return [(name.replace("_", " "), points) for name, points in self.subscores.items()]

    def to_dict(self) -> dict:
        """The API's score keys: ``total``, ``subscores``, ``kings_stage``, ``mitos_stage``."""
        return {
            "total": self.total,
            "subscores": dict(self.subscores),
            "kings_stage": self.kings_stage,
            "mitos_stage": self.mitos_stage,
        }


def _entered_points(items: Mapping[str, Any]) -> int:
    values = (str(_item_value(v)) for v in items.values() if _item_value(v) is not None)
    return sum(int(v) for v in values if v.isdigit())


def alsfrs_score(items: Mapping[str, Any]) -> AlsfrsScore:
    """The score display of the item scores ``items`` (item key -> 0-4 points, blank = None)."""
    try:
        score = AlsfrsR.from_items({key: _item_value(v) for key, v in items.items()})
    except ValidationError as error:
        problems = tuple(m for messages in error.by_field().values() for m in messages)
        return AlsfrsScore(complete=False, total=_entered_points(items), problems=problems)
    kings = kings_stage(score)
    return AlsfrsScore(
        complete=True,
        total=score.total,
        subscores=score.subscores(),
        kings_stage=kings.stage,
        kings_flags=tuple(kings.flags),
        mitos_stage=int(mitos_stage(score)),
    )

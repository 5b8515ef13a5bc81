"""What the safety board and the dashboard show: expedited reports due, and the frames the
safety tables (``alstrial.analysis.safety_tables``) are computed from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from django.utils import timezone

from alstrial.analysis.safety_tables import report_tables
from alstrial.domain.safety import Cause
from alstrial.domain.safety_clock import Obligation, ReportStatus
from alstrial.web.assessments.models import MriSpine
from alstrial.web.core.access import is_deidentified, site_ids_for
from alstrial.web.safety.models import AdverseEvent, ReportSubmission
from alstrial.web.safety.rules import site_time_zone
from alstrial.web.trials.populations import safety_population, trial_subjects

OPEN = (ReportStatus.DUE, ReportStatus.OVERDUE)
#: What the de-identified view shows instead of a term that is not coded yet (free text).
UNCODED = "(term not yet coded)"


@dataclass(frozen=True)
class BoardRow:
    """One expedited report of one serious event, with its status at ``now``."""

    ae: AdverseEvent
    obligation: Obligation
    submission: ReportSubmission | None
    status: ReportStatus
    now: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def due_within(self, window: timedelta | None) -> bool:
        """Still due (not overdue, not sent) and due within ``window`` of ``now``."""
        if window is None or self.status != ReportStatus.DUE:
            return False
        return self.obligation.due_at - self.now <= window

    @property
    def due_local_text(self) -> str:
        """The deadline in the site's time zone (formatted here: Django's ``date`` filter would
        convert it back to the server's zone)."""
        return self.obligation.due_text()

    @property
    def due_utc_text(self) -> str:
        return f"{self.obligation.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    @property
    def time_left(self) -> str:
        """``3 d 4 h left`` or ``overdue by 5 h`` (whole hours, rounded down)."""
        delta = self.obligation.time_left(self.now)
        late = delta < timedelta(0)
        hours = int(abs(delta).total_seconds() // 3600)
        days, hours = divmod(hours, 24)
        text = f"{days} d {hours} h" if days else f"{hours} h"
        return f"overdue by {text}" if late else f"{text} left"


def board_rows(events, now: datetime | None = None) -> list[BoardRow]:
    """Every required report of the serious events in ``events`` (a queryset), soonest first."""
    now = now or timezone.now()
    rows = []
    serious = (
        events.filter(serious=True)
        .select_related("subject__site", "subject__trial")
        .prefetch_related("submissions")
    )
    for ae in serious:
        tz = site_time_zone(ae.subject.site)
        submitted = {s.kind: s for s in ae.submissions.all()}
        for obligation in ae.obligations(tz):
            submission = submitted.get(obligation.kind.value)
            status = obligation.status(now, submission.submitted_at if submission else None)
            rows.append(BoardRow(ae, obligation, submission, status, now))
    rows.sort(key=lambda r: (not r.is_open, r.obligation.due_at))
    return rows


# --- frames for the safety tables -------------------------------------------------------------


def trial_frames(trial, user=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The (ae, subjects, mri) frames of ``trial`` for ``alstrial.analysis.safety_tables``.

    With ``user``, only the sites where the user holds any role; without (the trial report, the
    command line), every site of the trial (:func:`.populations.trial_subjects`).
    """
    site_ids = None if user is None else site_ids_for(user)
    subjects = trial_subjects(trial, site_ids)
    events = AdverseEvent.objects.filter(subject__in=subjects)
    ae = ae_frame(events)
    if user is not None and is_deidentified(user):
        # an uncoded term is free text as reported: not for the de-identified view
        ae.loc[~ae["coded"], "term"] = UNCODED
    return ae, subjects_frame(subjects, events), mri_frame(subjects)


def ae_frame(events) -> pd.DataFrame:
    """The ``ae`` frame of :mod:`alstrial.analysis.safety_tables` from AdverseEvent rows."""
    rows = []
    for ae in events.select_related("subject__site"):
        row = {
            "event_id": ae.pk,
            "subject_id": ae.subject.code,
            "term": ae.term,
            "grade": ae.grade,
            "onset_date": ae.onset_date,
            "resolution_date": ae.resolution_date,
            "outcome": ae.outcome,
            "seriousness_criteria": ";".join(ae.seriousness_criteria or ()),
            "expected": ae.expected,
            "awareness_at": ae.awareness_at,
            # The report shows each moment in its own site's time (docs/report.md).
            "time_zone": ae.subject.site.time_zone,
            "action_taken": ae.action_taken,
            "coded": not ae.needs_coding,
        }
        for cause in Cause:
            row[cause.field] = getattr(ae, cause.field)
        rows.append(row)
    columns = ["event_id", "subject_id", "term", "grade", "onset_date", "resolution_date"]
    columns += ["outcome", "seriousness_criteria", "expected", "awareness_at", "time_zone"]
    columns += ["action_taken"]
    columns += ["coded"]
    return pd.DataFrame(rows, columns=[*columns, *(c.field for c in Cause)])


def subjects_frame(subjects, events) -> pd.DataFrame:
    """The safety population (:func:`alstrial.web.trials.populations.safety_population`)."""
    return pd.DataFrame({"subject_id": safety_population(subjects, events)})


def mri_frame(subjects) -> pd.DataFrame:
    """The ``mri`` frame from the spinal cord MRI form (assessments app) of ``subjects``."""
    rows = MriSpine.objects.filter(subject__in=subjects, visit__visit_date__isnull=False)
    data = rows.values_list(
        "subject__code", "visit__visit_date", "cord_volume_ml", "abnormal_proliferation"
    )
    return pd.DataFrame(
        list(data),
        columns=["subject_id", "scan_date", "cord_volume_ml", "abnormal_proliferation"],
    )


def trial_report_tables(trial, *, listings: bool = True) -> dict[str, pd.DataFrame]:
    """``{title: table}`` of ``trial``'s safety tables over every site: the trial report's
    ``safety`` argument (``alstrial.analysis.report.build``)."""
    return report_tables(*trial_frames(trial), listings=listings)

"""Subjects finish (docs/web.md, 'Subjects finish'): completed when the last scheduled visit is
done, withdrawn, lost to follow-up or died through the subjects service; the dashboard counts
them as enrolled and finished, with the domain's one count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alstrial.domain.disposition import STATUSES
from alstrial.domain.errors import ValidationError
from alstrial.web.subjects.models import Subject, SubjectStatus, VisitStatus
from alstrial.web.subjects.services import (
    complete_if_finished,
    record_disposition,
    record_visit,
)
from alstrial.web.trials.views import trial_summary

pytestmark = pytest.mark.django_db


def test_the_models_statuses_are_the_domains():
    assert tuple(SubjectStatus.values) == STATUSES


def test_the_last_scheduled_visit_done_completes_the_subject(enrolled_subject, users):
    subject = enrolled_subject("seoul", days_ago=800)
    coordinator = users["coordinator.seoul"]
    visits = list(subject.visits.filter(status=VisitStatus.SCHEDULED).order_by("sequence"))
    for visit in visits[:-1]:
        record_visit(visit, coordinator, visit_date=visit.target_date)
        assert not complete_if_finished(Subject.objects.get(pk=subject.pk), coordinator)
        assert Subject.objects.get(pk=subject.pk).status == SubjectStatus.ENROLLED
    last = visits[-1]
    record_visit(last, coordinator, visit_date=last.target_date)
    assert complete_if_finished(Subject.objects.get(pk=subject.pk), coordinator)
    subject = Subject.objects.get(pk=subject.pk)
    assert subject.status == SubjectStatus.COMPLETED
    assert subject.disposition_date == last.target_date
    assert "last scheduled visit" in subject.history.first().history_change_reason


def test_a_person_records_an_early_end_with_date_and_reason(enrolled_subject, users):
    coordinator = users["coordinator.seoul"]
    lost = enrolled_subject("seoul")
    when = lost.enrolment_date + timedelta(days=20)
    record_disposition(
        lost,
        coordinator,
        disposition="lost_to_follow_up",
        disposition_date=when,
        reason="no answer to three calls and a letter",
    )
    lost = Subject.objects.get(pk=lost.pk)
    assert (lost.status, lost.disposition_date) == ("lost_to_follow_up", when)
    with pytest.raises(ValidationError) as refused:
        record_disposition(lost, coordinator, disposition="died", disposition_date=when, reason="x")
    assert "status" in refused.value.by_field()


def test_bad_dispositions_name_their_fields(enrolled_subject, users):
    subject = enrolled_subject("seoul")
    with pytest.raises(ValidationError) as refused:
        record_disposition(
            subject,
            users["coordinator.seoul"],
            disposition="completed",
            disposition_date=subject.enrolment_date - timedelta(days=1),
            reason=" ",
        )
    assert set(refused.value.by_field()) == {"disposition", "disposition_date", "reason"}
    assert Subject.objects.get(pk=subject.pk).status == SubjectStatus.ENROLLED


def test_the_dashboard_counts_finished_subjects_as_enrolled(enrolled_subject, screen, users):
    coordinator = users["coordinator.seoul"]
    on_study = enrolled_subject("seoul")
    died = enrolled_subject("seoul")
    record_disposition(
        died,
        coordinator,
        disposition="died",
        disposition_date=died.enrolment_date + timedelta(days=3),
        reason="respiratory failure",
    )
    screen("seoul")
    summary = trial_summary(on_study.trial, coordinator)
    counts = summary["dispositions"]
    assert summary["screened"] == 3
    assert summary["enrolled"] == 2  # the subject who died was enrolled
    assert (counts.on_study, counts.died, counts.in_screening) == (1, 1, 1)
    assert ("Died", 1) in summary["statuses"]

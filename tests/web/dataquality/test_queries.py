"""Queries: raised by the edit checks at save, closed by the corrected value; raised by hand,
answered by the site, closed and re-opened by the monitor; audited; role-checked."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from alstrial.domain.errors import ValidationError
from alstrial.web.assessments.models import FvcAssessment
from alstrial.web.assessments.services import record_visit_form
from alstrial.web.dataquality import services
from alstrial.web.dataquality.models import Query, QueryOrigin, QueryStatus


@pytest.fixture
def monitor(users):
    return users["cra.seoul"]  # the demo's monitor (CRA)


def _fvc(subject, user, percent):
    visit = next(v for v in subject.visits.order_by("sequence") if "fvc" in v.forms)
    record = FvcAssessment(subject=subject, visit=visit, fvc_percent_predicted=percent)
    return record_visit_form(record, user, visit_date=subject.screening_date)


def _fvc_queries(subject):
    return list(Query.objects.filter(subject=subject, form="fvc").order_by("id"))


def test_a_low_fvc_opens_a_check_query_that_closes_itself_when_corrected(enrolled_subject, users):
    subject = enrolled_subject()
    coordinator = users["coordinator.seoul"]
    record = _fvc(subject, coordinator, 42.0)
    [query] = _fvc_queries(subject)
    assert (query.origin, query.check_code, query.status) == ("check", "fvc_low", "open")
    assert (query.record_id, query.field) == (record.pk, "fvc_percent_predicted")
    assert "FVC 42% of predicted" in query.text
    assert query.opened_by == coordinator

    # Saving again without changing the value neither duplicates nor closes the query.
    record.fvc_litres = 1.9
    record_visit_form(record, coordinator, visit_date=None, reason="litres added")
    assert [q.status for q in _fvc_queries(subject)] == ["open"]

    record.fvc_percent_predicted = 62.0
    record_visit_form(record, coordinator, visit_date=None, reason="transcription error")
    query.refresh_from_db()
    assert query.status == QueryStatus.CLOSED
    assert query.closed_by_check is True
    last = query.history.order_by("-history_id").first()
    assert last.history_change_reason == services.AUTO_CLOSE_REASON
    assert last.history_user == coordinator

    # The value failing again is a new question.
    record.fvc_percent_predicted = 41.0
    record_visit_form(record, coordinator, visit_date=None, reason="re-measured")
    assert [q.status for q in _fvc_queries(subject)] == ["closed", "open"]


def test_a_check_query_the_monitor_closed_is_not_raised_again(enrolled_subject, users, monitor):
    subject = enrolled_subject()
    coordinator = users["coordinator.seoul"]
    record = _fvc(subject, coordinator, 45.0)
    [query] = _fvc_queries(subject)
    services.answer_query(coordinator, query, "confirmed against the spirometry print-out")
    services.close_query(monitor, query, "source verified")
    record.fvc_litres = 1.5
    record_visit_form(record, coordinator, visit_date=None, reason="litres added")
    assert [q.status for q in _fvc_queries(subject)] == ["closed"]


def test_a_normal_fvc_raises_nothing(enrolled_subject, users):
    subject = enrolled_subject()
    _fvc(subject, users["coordinator.seoul"], 50.0)
    assert _fvc_queries(subject) == []


def test_manual_query_life_cycle_and_roles(enrolled_subject, users, monitor):
    subject = enrolled_subject()
    coordinator = users["coordinator.seoul"]
    with pytest.raises(PermissionDenied):
        services.open_manual_query(coordinator, subject, "subject", subject.pk, "age_years", "Age?")
    query = services.open_manual_query(
        monitor, subject, "subject", subject.pk, "age_years", "Age differs from the source"
    )
    assert (query.origin, query.status) == (QueryOrigin.MANUAL, QueryStatus.OPEN)

    with pytest.raises(PermissionDenied):
        services.answer_query(monitor, query, "it is fine")
    with pytest.raises(ValidationError) as blank:
        services.answer_query(coordinator, query, "  ")
    assert blank.value.by_field() == {"answer": ["required"]}
    services.answer_query(coordinator, query, "source says 52; the form is right")
    assert query.status == QueryStatus.ANSWERED
    with pytest.raises(ValidationError):
        services.answer_query(coordinator, query, "again")

    with pytest.raises(PermissionDenied):
        services.close_query(coordinator, query)
    services.reopen_query(monitor, query, "the source shows 53")
    assert query.status == QueryStatus.OPEN
    services.answer_query(coordinator, query, "corrected to 53")
    services.close_query(monitor, query, "agreed")
    query.refresh_from_db()
    assert query.status == QueryStatus.CLOSED
    reasons = [h.history_change_reason for h in query.history.order_by("history_id")]
    assert reasons == [
        "raised by hand",
        "source says 52; the form is right",
        "the source shows 53",
        "corrected to 53",
        "agreed",
    ]


def test_a_manual_query_names_a_real_record_and_field(enrolled_subject, monitor, screen):
    subject = enrolled_subject()
    other = screen("seoul")
    cases = {
        ("lab", subject.pk, "x"): "form",
        ("subject", subject.pk, "favourite_colour"): "field",
        ("subject", other.pk, "age_years"): "record_id",
    }
    for (form, record_id, field), bad in cases.items():
        with pytest.raises(ValidationError) as caught:
            services.open_manual_query(monitor, subject, form, record_id, field, "?")
        assert list(caught.value.by_field()) == [bad]
    assert not Query.objects.filter(subject=subject, origin="manual").exists()

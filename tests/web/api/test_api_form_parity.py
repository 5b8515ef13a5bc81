"""The API accepts exactly what the forms accept: every writable field of subjects, visits,
adverse events, lots and administrations, given a value the matching web form refuses (a value
outside the choices, text longer than the column or the free-text limit, a reason longer than
the audit trail's limit), answers 422 naming that field and writes nothing. The same check runs
on SQLite and PostgreSQL (``DATABASE_URL``), where an over-long value used to answer 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from api_support import administration_body, ae_report, open_visit_with

from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS, MAX_REASON_CHARS, MAX_SCAN_CHARS
from alstrial.web.product.models import Administration, CustodyEntry, QcResult, RefusedAttempt
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.models import Subject, Visit

TODAY = date.today()
LONG_TEXT = "x" * (MAX_FREE_TEXT_CHARS + 1)
LONG_REASON = "r" * (MAX_REASON_CHARS + 1)


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()


def _snapshot():
    """Every table these writes could touch, with its history, to prove nothing was written."""
    tables = (Subject, Visit, AdverseEvent, Administration, QcResult)
    rows = {t.__name__: list(t.objects.values()) for t in tables}
    rows["history"] = [t.history.count() for t in tables]
    rows["ledger"] = (CustodyEntry.objects.count(), RefusedAttempt.objects.count())
    return rows


def _screening(**changes) -> dict:
    screened = TODAY - timedelta(days=20)
    return {
        "site": "seoul",
        "trial": "kim2009",
        "consent_date": str(screened),
        "screening_date": str(screened),
        "sex": "F",
        "age_years": 55,
        "onset_site": "spinal",
        "symptom_onset_date": str(screened - timedelta(days=400)),
        "el_escorial": "probable",
        "alsfrs_r_total": 40,
        "fvc_percent_predicted": 80.0,
        **changes,
    }


SUBJECT_CASES = [
    ("sex", "X"),
    ("sex", "F" * 500),
    ("sex", ""),  # the form requires it
    ("onset_site", "<b>"),
    ("onset_site", "s" * 500),
    ("el_escorial", "e" * 500),
    ("reason", LONG_REASON),
]


@pytest.fixture
def coordinator(world, users, api):
    return api(users["coordinator.seoul"])


def test_a_valid_screening_is_accepted(world, coordinator):
    """The baseline of the cases below: only the named field is bad in each."""
    assert coordinator.post("subjects", _screening()).status_code == 201


@pytest.mark.parametrize(("field", "value"), SUBJECT_CASES)
def test_screening_fields(world, coordinator, field, value):
    before = _snapshot()
    _refused(coordinator.post("subjects", _screening(**{field: value})), field)
    assert _snapshot() == before


@pytest.mark.parametrize(("field", "value"), SUBJECT_CASES)
def test_screening_correction_fields(world, coordinator, field, value):
    subject = world["seoul"]["subject"]
    body = _screening(**{"reason": "corrected", "version": subject.version, field: value})
    del body["site"], body["trial"]
    body["consent_date"] = body["screening_date"] = str(subject.consent_date)
    before = _snapshot()
    _refused(coordinator.put(f"subjects/{subject.pk}", body), field)
    assert _snapshot() == before


def test_withdrawal_reason_over_the_limit(world, coordinator):
    subject = world["seoul"]["subject"]
    before = _snapshot()
    body = {"withdrawal_date": str(TODAY), "withdrawal_reason": LONG_TEXT}
    _refused(coordinator.post(f"subjects/{subject.pk}/withdrawal", body), "withdrawal_reason")
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "missed", "missed_reason": LONG_TEXT}, "missed_reason"),
        ({"status": "missed", "missed_reason": "ill", "visit_date": str(TODAY)}, "visit_date"),
        ({"status": "done", "visit_date": str(TODAY), "missed_reason": "ill"}, "missed_reason"),
        ({"status": "done", "visit_date": str(TODAY), "reason": LONG_REASON}, "reason"),
    ],
)
def test_visit_fields(world, coordinator, changes, field):
    visit = open_visit_with(world["seoul"]["subject"], "alsfrs_r")
    before = _snapshot()
    _refused(coordinator.put(f"visits/{visit.pk}", {"version": visit.version, **changes}), field)
    assert _snapshot() == before


AE_CASES = [
    ("term", "t" * 10_000),
    ("term", "t" * 201),
    ("narrative", LONG_TEXT),
    ("action_taken", "amputated"),
    ("outcome", "o" * 500),
    ("relatedness_cell_product", "perhaps"),
]


@pytest.mark.parametrize(("field", "value"), AE_CASES)
def test_adverse_event_fields(world, coordinator, field, value):
    subject = world["seoul"]["subject"]
    before = _snapshot()
    _refused(coordinator.post("adverse-events", ae_report(subject, **{field: value})), field)
    assert _snapshot() == before


@pytest.mark.parametrize(("field", "value"), [*AE_CASES, ("reason", LONG_REASON)])
def test_adverse_event_follow_up_fields(world, coordinator, field, value):
    ae = world["seoul"]["ae"]
    report = {k: v for k, v in ae_report(ae.subject).items() if k != "subject_id"}
    body = {**report, "reason": "follow-up", "version": ae.version, field: value}
    before = _snapshot()
    _refused(coordinator.put(f"adverse-events/{ae.pk}", body), field)
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("sterility", "maybe"), ("karyotype", "k" * 500), ("reason", LONG_REASON)],
)
def test_lot_qc_fields(world, users, api, field, value):
    lot = world["seoul"]["lot"]
    qc = QcResult.objects.get(lot=lot)
    before = _snapshot()
    body = {"version": qc.version, "reason": "re-read", field: value}
    _refused(api(users["celllab.seoul"]).put(f"lots/{lot.pk}/qc", body), field)
    assert _snapshot() == before


def test_custody_note_over_the_limit(world, users, api):
    lot = world["seoul"]["lot"]
    before = _snapshot()
    body = {"event": "destroyed", "note": LONG_TEXT}
    _refused(api(users["celllab.seoul"]).post(f"lots/{lot.pk}/custody", body), "note")
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("route", "oral"),
        ("scanned_subject_id", "S" * (MAX_SCAN_CHARS + 1)),
        ("scanned_lot_id", "L" * 10_000),
        ("spinal_level", "T" * 500),
        ("immediate_reactions", LONG_TEXT),
    ],
)
def test_administration_fields(world, users, api, field, value):
    seoul = world["seoul"]
    body = administration_body(seoul["subject"], seoul["lot"], **{field: value})
    before = _snapshot()
    _refused(api(users["investigator.seoul"]).post("administrations", body), field)
    assert _snapshot() == before


def test_release_password_is_bounded_like_the_log_in(world, users, api):
    """A megabyte "password" is refused before anything hashes it (the token log-in's limit)."""
    lot = world["seoul"]["lot"]
    before = _snapshot()
    body = {"password": "p" * 4097, "meaning": "released"}
    _refused(api(users["celllab.seoul"]).post(f"lots/{lot.pk}/release", body), "password")
    assert _snapshot() == before

"""The other half of tests/web/api/test_api_form_parity.py: each value the API now refuses is
refused by the matching web form too (its field names the error), so form and API accept the
same values. Forms only; no database needed."""

from __future__ import annotations

from datetime import date

import pytest

from alstrial.domain.text_limits import MAX_FREE_TEXT_CHARS, MAX_REASON_CHARS, MAX_SCAN_CHARS
from alstrial.web.product.forms import AdministrationForm, CustodyForm, QcForm
from alstrial.web.safety.forms import AdverseEventForm
from alstrial.web.subjects.forms import CorrectionForm, ScreeningForm, VisitForm, WithdrawForm

LONG_TEXT = "x" * (MAX_FREE_TEXT_CHARS + 1)
LONG_REASON = "r" * (MAX_REASON_CHARS + 1)
SCREENING = {
    "trial": "kim2009",
    "consent_date": "2026-01-05",
    "screening_date": "2026-01-05",
    "sex": "F",
    "age_years": "55",
    "onset_site": "spinal",
    "symptom_onset_date": "2025-01-01",
    "el_escorial": "probable",
    "alsfrs_r_total": "40",
    "fvc_percent_predicted": "80",
}
AE = {
    "term": "headache",
    "onset_date": "2026-01-10",
    "grade": "1",
    "serious": "no",
    "action_taken": "none",
    "outcome": "recovered",
    "relatedness_cell_product": "unlikely",
}
ADMINISTRATION = {
    "scanned_subject_id": "SEO-0001-F",
    "scanned_lot_id": "LOT-SEO-0001-F-01-X",
    "route": "intrathecal",
}


def _refuses(form, field: str) -> None:
    assert not form.is_valid()
    assert field in form.errors, form.errors


def test_the_valid_bodies_are_accepted():
    """The baselines: only the named field is bad in each case below."""
    assert ScreeningForm(SCREENING, trial_choices=[("kim2009", "Kim")]).is_valid()
    assert AdverseEventForm(AE).is_valid(), AdverseEventForm(AE).errors
    assert AdministrationForm(ADMINISTRATION).is_valid()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sex", "X"),
        ("sex", "F" * 500),
        ("sex", ""),
        ("onset_site", "<b>"),
        ("el_escorial", "e" * 500),
    ],
)
def test_screening_form(field, value):
    form = ScreeningForm({**SCREENING, field: value}, trial_choices=[("kim2009", "Kim")])
    _refuses(form, field)


def test_correction_reason_over_the_limit():
    _refuses(CorrectionForm({**SCREENING, "reason": LONG_REASON, "version": "1"}), "reason")


def test_withdrawal_reason_over_the_limit():
    form = WithdrawForm({"withdrawal_date": str(date.today()), "withdrawal_reason": LONG_TEXT})
    _refuses(form, "withdrawal_reason")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "missed", "missed_reason": LONG_TEXT}, "missed_reason"),
        ({"outcome": "missed", "missed_reason": "ill", "visit_date": "2026-01-05"}, "visit_date"),
        ({"outcome": "done", "visit_date": "2026-01-05", "reason": LONG_REASON}, "reason"),
    ],
)
def test_visit_form(data, field):
    _refuses(VisitForm(data), field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("term", "t" * 201),
        ("narrative", LONG_TEXT),
        ("action_taken", "amputated"),
        ("outcome", "o" * 500),
        ("relatedness_cell_product", "perhaps"),
    ],
)
def test_adverse_event_form(field, value):
    _refuses(AdverseEventForm({**AE, field: value}), field)


def test_adverse_event_follow_up_reason_over_the_limit():
    form = AdverseEventForm({**AE, "reason": LONG_REASON, "version": "1"}, follow_up=True)
    _refuses(form, "reason")


@pytest.mark.parametrize(("field", "value"), [("sterility", "maybe"), ("karyotype", "k" * 500)])
def test_qc_form(field, value):
    _refuses(QcForm({field: value, "reason": "re-read", "version": "1"}), field)


def test_custody_note_over_the_limit():
    _refuses(CustodyForm({"event": "destroyed", "note": "n" * (MAX_REASON_CHARS + 1)}), "note")


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
def test_administration_form(field, value):
    _refuses(AdministrationForm({**ADMINISTRATION, field: value}), field)

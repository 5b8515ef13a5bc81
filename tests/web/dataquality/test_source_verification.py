"""Source data verification: the monitor marks forms verified; a change after verification
clears the mark and says why; progress per site."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from alstrial.domain.errors import ValidationError
from alstrial.web.assessments.models import FvcAssessment
from alstrial.web.assessments.services import record_visit_form
from alstrial.web.dataquality.verification import sdv_progress, verify_form


def test_verify_then_change_clears_the_mark_with_the_reason(enrolled_subject, users):
    cra = users["cra.seoul"]
    subject = enrolled_subject()
    coordinator = users["coordinator.seoul"]
    visit = next(v for v in subject.visits.order_by("sequence") if "fvc" in v.forms)
    fvc = record_visit_form(
        FvcAssessment(subject=subject, visit=visit, fvc_percent_predicted=80.0),
        coordinator,
        visit_date=subject.screening_date,
    )
    site = subject.site
    before = sdv_progress(site)
    # The subject's record, the done visit and the FVC form at least.
    assert before["verified"] == 0
    assert before["total"] >= 3

    with pytest.raises(PermissionDenied):
        verify_form(coordinator, subject, "fvc", fvc.pk)
    mark = verify_form(cra, subject, "fvc", fvc.pk)
    assert mark.record_version == fvc.version
    with pytest.raises(ValidationError):
        verify_form(cra, subject, "fvc", fvc.pk)
    assert sdv_progress(site) == {"verified": 1, "total": before["total"]}

    fvc.fvc_percent_predicted = 78.0
    record_visit_form(fvc, coordinator, visit_date=None, reason="transcription error")
    mark.refresh_from_db()
    assert mark.cleared_at is not None
    assert mark.cleared_reason == "changed after verification (version 1 -> 2): transcription error"
    last = mark.history.order_by("-history_id").first()
    assert last.history_change_reason == mark.cleared_reason
    assert last.history_user == coordinator
    assert sdv_progress(site)["verified"] == 0
    # The changed form can be verified again in its new version.
    assert verify_form(cra, subject, "fvc", fvc.pk).record_version == 2

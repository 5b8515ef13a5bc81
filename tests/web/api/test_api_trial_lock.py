"""The trial database lock: only the data manager locks and unlocks (audited, with a reason);
while locked every write of the trial is refused at the one place writes pass (clinical saves,
deletes, the custody ledger), the API answers 423 and other trials are untouched."""

from __future__ import annotations

import pytest
from api_support import ae_report
from django.core.exceptions import PermissionDenied

from alstrial.web.assessments.models import FvcAssessment
from alstrial.web.assessments.services import record_visit_form
from alstrial.web.core.records import delete_clinical, save_clinical
from alstrial.web.core.write_guards import WritesLocked
from alstrial.web.dataquality import locks
from alstrial.web.dataquality.models import TrialLock


@pytest.fixture
def data_manager(make_user):
    return make_user("dm.seoul", {"seoul": ["data_manager"]})


def test_lock_refuses_every_kind_of_write_and_unlock_restores_them(
    enrolled_subject, users, data_manager
):
    subject, other_trial = enrolled_subject("seoul"), enrolled_subject("novara")
    coordinator = users["coordinator.seoul"]
    visit = next(v for v in subject.visits.order_by("sequence") if "fvc" in v.forms)
    fvc = record_visit_form(
        FvcAssessment(subject=subject, visit=visit, fvc_percent_predicted=80.0),
        coordinator,
        visit_date=subject.screening_date,
    )
    with pytest.raises(PermissionDenied):
        locks.lock_trial(coordinator, subject.trial, "interim analysis")
    locks.lock_trial(data_manager, subject.trial, "interim analysis")

    fvc.fvc_percent_predicted = 81.0
    with pytest.raises(WritesLocked) as caught:
        save_clinical(fvc, coordinator, "typo")
    assert "trial kim2009 is locked (interim analysis)" in str(caught.value)
    assert caught.value.by_field().keys() == {"trial"}
    fvc.refresh_from_db()
    assert fvc.fvc_percent_predicted == 80.0
    with pytest.raises(WritesLocked):
        delete_clinical(fvc, coordinator, "entered twice")
    subject.age_years = 60
    with pytest.raises(WritesLocked):
        save_clinical(subject, coordinator, "typo")
    # The other trial (Novara, mazzini2003) is not locked.
    other_trial.age_years = 61
    save_clinical(other_trial, users["coordinator.novara"], "typo")

    with pytest.raises(PermissionDenied):
        locks.unlock_trial(coordinator, subject.trial, "done")
    locks.unlock_trial(data_manager, subject.trial, "interim analysis done")
    fvc.refresh_from_db()
    fvc.fvc_percent_predicted = 81.0
    save_clinical(fvc, coordinator, "typo")
    history = TrialLock.objects.get(trial=subject.trial).history.order_by("history_id")
    assert [(h.locked, h.history_change_reason, h.history_user) for h in history] == [
        (True, "interim analysis", data_manager),
        (False, "interim analysis done", data_manager),
    ]


def test_custody_ledger_rows_are_refused_while_locked(world, users, make_user):
    from django.utils import timezone

    from alstrial.web.product.models import CustodyEntry

    lot = world["seoul"]["lot"]
    dm = make_user("dm.seoul", {"seoul": ["data_manager"]})
    locks.lock_trial(dm, lot.subject.trial, "final analysis")
    before = CustodyEntry.objects.count()
    entry = CustodyEntry(
        lot=lot, event="received", from_status="", to_status="received",
        user=users["celllab.seoul"], at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(WritesLocked):
        entry.save()
    assert CustodyEntry.objects.count() == before


def test_api_lock_answers_423_on_writes_and_audits_unlock(api, world, users, make_user):
    subject = world["seoul"]["subject"]
    dm = api(make_user("dm.seoul", {"seoul": ["data_manager"]}))
    coordinator = api(users["coordinator.seoul"])
    assert coordinator.post("trials/kim2009/lock", {"reason": "x"}).status_code == 403
    assert dm.post("trials/kim2009/lock", {}).status_code == 422
    assert dm.post("trials/mazzini2003/lock", {"reason": "x"}).status_code == 404
    locked = dm.post("trials/kim2009/lock", {"reason": "database lock for the final analysis"})
    assert locked.status_code == 200, locked.content
    assert (locked.json()["locked"], locked.json()["changed_by"]) == (True, "dm.seoul")
    assert dm.post("trials/kim2009/lock", {"reason": "again"}).status_code == 422

    refused = coordinator.post("adverse-events", ae_report(subject))
    assert refused.status_code == 423, refused.content
    assert "locked" in refused.json()["detail"]
    assert "trial" in refused.json()["errors"]
    novara = world["novara"]["subject"]
    accepted = api(users["coordinator.novara"]).post("adverse-events", ae_report(novara))
    assert accepted.status_code == 201

    unlocked = dm.post("trials/kim2009/unlock", {"reason": "query resolution reopened"})
    assert unlocked.json()["locked"] is False
    assert coordinator.post("adverse-events", ae_report(subject)).status_code == 201

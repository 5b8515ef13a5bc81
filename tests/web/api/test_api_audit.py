"""Audited changes through the API: reason required, 409 on a stale version, and the audit
endpoint shows who, when (UTC), field, old, new and why, and replays to the current state."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from api_support import ITEMS, ae_report

from alstrial.web.assessments.models import AlsfrsAssessment


@pytest.fixture
def coordinator(world, users, api):
    return api(users["coordinator.seoul"])


def _put_items(client, alsfrs_id, version, reason="source document check", **items):
    body = {**ITEMS, **items, "reason": reason, "version": version}
    return client.put(f"assessments/alsfrs/{alsfrs_id}", body)


def test_change_needs_a_reason(world, coordinator):
    alsfrs = world["seoul"]["alsfrs"]
    response = _put_items(coordinator, alsfrs.pk, alsfrs.version, reason=" ", speech=2)
    assert response.status_code == 422
    assert "reason" in response.json()["errors"]
    assert AlsfrsAssessment.objects.get(pk=alsfrs.pk).speech == ITEMS["speech"]


def test_stale_version_is_409_and_nothing_is_overwritten(world, users, api, coordinator):
    alsfrs = world["seoul"]["alsfrs"]
    read = coordinator.get(f"assessments/alsfrs/{alsfrs.pk}").json()
    investigator = api(users["investigator.seoul"])
    first = _put_items(investigator, alsfrs.pk, read["version"], speech=2)
    assert first.status_code == 200
    assert first.json()["version"] == read["version"] + 1
    assert first.json()["total"] == read["total"] - 2
    stale = _put_items(coordinator, alsfrs.pk, read["version"], speech=1)
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == read["version"] + 1
    assert "version" in body["errors"]
    assert "investigator.seoul" in body["detail"]
    stored = AlsfrsAssessment.objects.get(pk=alsfrs.pk)
    assert (stored.speech, stored.version) == (2, read["version"] + 1)


@pytest.mark.parametrize("resource", ["subjects", "visits", "adverse-events"])
def test_stale_version_is_409_on_every_resource(world, coordinator, resource):
    seoul = world["seoul"]
    subject = seoul["subject"]
    if resource == "subjects":
        path, obj = f"subjects/{subject.pk}", subject
        body = {
            "consent_date": str(subject.consent_date),
            "screening_date": str(subject.screening_date),
            "symptom_onset_date": str(subject.symptom_onset_date),
            "sex": "M",
            "age_years": 53,
            "onset_site": "spinal",
            "el_escorial": "probable",
            "alsfrs_r_total": 40,
            "fvc_percent_predicted": 85.0,
        }
    elif resource == "visits":
        obj = seoul["visit"]
        path = f"visits/{obj.pk}"
        body = {"status": "done", "visit_date": str(obj.visit_date + timedelta(days=1))}
    else:
        obj = seoul["ae"]
        path = f"adverse-events/{obj.pk}"
        body = {k: v for k, v in ae_report(subject).items() if k != "subject_id"}
    # The world's setting-up may have saved the record again since the fixture read it (e.g.
    # dose 1 moves the subject's day 0): start from the version in the database.
    obj.refresh_from_db()
    ok = coordinator.put(path, {**body, "reason": "correction", "version": obj.version})
    assert ok.status_code == 200, ok.content
    assert ok.json()["version"] == obj.version + 1
    stale = coordinator.put(path, {**body, "reason": "again", "version": obj.version})
    assert stale.status_code == 409, stale.content
    assert stale.json()["current_version"] == obj.version + 1
    assert type(obj).objects.get(pk=obj.pk).version == obj.version + 1
    assert type(obj).history.filter(id=obj.pk, history_change_reason="again").count() == 0


def _trail(client, subject_id):
    response = client.get(f"subjects/{subject_id}/audit")
    assert response.status_code == 200
    return response.json()


def test_audit_endpoint_shows_the_change_with_its_reason(world, coordinator):
    alsfrs = world["seoul"]["alsfrs"]
    started = datetime.now().astimezone()
    response = _put_items(coordinator, alsfrs.pk, alsfrs.version, reason="transcription", speech=1)
    assert response.status_code == 200
    entries = _trail(coordinator, alsfrs.subject_id)
    mine = [e for e in entries if e["record_type"] == "ALSFRS-R" and e["action"] == "changed"]
    assert len(mine) == 1
    entry = mine[0]
    assert entry["user"] == "coordinator.seoul"
    assert entry["reason"] == "transcription"
    assert entry["record_id"] == alsfrs.pk
    assert entry["version"] == alsfrs.version + 1
    when = datetime.fromisoformat(entry["when"].replace("Z", "+00:00"))
    assert when.utcoffset() == timedelta(0)
    assert started - timedelta(seconds=5) <= when <= datetime.now().astimezone()
    changes = {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}
    assert changes == {"speech": ("4", "1"), "total": ("41", "38")}
    assert sum(v for v in ITEMS.values() if v) == 41  # the fixture's total, independently


def test_trail_replays_to_the_current_state(world, coordinator):
    alsfrs = world["seoul"]["alsfrs"]
    version, items = alsfrs.version, dict(ITEMS)
    for reason, changes in [
        ("first correction", {"speech": 2}),
        (
            "gastrostomy placed",
            {"cutting_without_gastrostomy": None, "cutting_with_gastrostomy": 1},
        ),
        ("second look", {"speech": 3, "walking": 1}),
    ]:
        items.update(changes)  # every PUT sends all twelve items
        response = _put_items(coordinator, alsfrs.pk, version, reason=reason, **items)
        assert response.status_code == 200, response.content
        version = response.json()["version"]
    state: dict = {}
    for entry in _trail(coordinator, alsfrs.subject_id):
        if entry["record_type"] == "ALSFRS-R" and entry["record_id"] == alsfrs.pk:
            for change in entry["changes"]:
                state[change["field"]] = change["new"]
    current = coordinator.get(f"assessments/alsfrs/{alsfrs.pk}").json()
    for key, value in {**current["items"], "total": current["total"]}.items():
        assert state.get(key) == (None if value is None else str(value)), key
    assert current["items"]["cutting_with_gastrostomy"] == 1
    assert current["kings_stage"] == "4A"  # 5b used: gastrostomy (docs/domain.md, 'Staging')


def test_statistician_cannot_read_the_trail(world, users, api):
    subject = world["seoul"]["subject"]
    response = api(users["statistician"]).get(f"subjects/{subject.pk}/audit")
    assert response.status_code == 403


def test_two_first_qc_entries_do_not_overwrite_each_other(world, users, api, make_user):
    """Both lab users load a lot with no QC (version 0); the second to save gets 409."""
    from alstrial.web.product.demo import build_lot

    lab_user = users["celllab.seoul"]
    lot = build_lot(
        world["seoul"]["subject"],
        lab_user,
        lab_user,
        stage="in_manufacturing",
        password="",
        dose_number=2,
    )
    second_lab = make_user("celllab2.seoul", {"seoul": ["cell_lab"]})
    first = api(lab_user).put(f"lots/{lot.pk}/qc", {"viability_pct": 91.0, "version": 0})
    assert first.status_code == 200, first.content
    assert first.json()["qc"]["version"] == 1
    late = api(second_lab).put(f"lots/{lot.pk}/qc", {"viability_pct": 75.0, "version": 0})
    assert late.status_code == 409, late.content
    assert api(lab_user).get(f"lots/{lot.pk}").json()["qc"]["viability_pct"] == 91.0


def test_simultaneous_first_entries_of_one_form_give_409(world, coordinator, monkeypatch):
    """Two clients pass the "not yet entered" check together; the database's one-form-per-visit
    constraint refuses the second, answered as a conflict with nothing written."""
    from alstrial.web.api import alsfrs as alsfrs_api

    existing = world["seoul"]["alsfrs"]
    monkeypatch.setattr(alsfrs_api, "_entered", lambda visit: None)  # the race
    body = {"visit_id": existing.visit_id, **ITEMS, "speech": 0}
    response = coordinator.post("assessments/alsfrs", body)
    assert response.status_code == 409, response.content
    assert AlsfrsAssessment.objects.filter(visit_id=existing.visit_id).count() == 1
    assert AlsfrsAssessment.objects.get(pk=existing.pk).speech == ITEMS["speech"]

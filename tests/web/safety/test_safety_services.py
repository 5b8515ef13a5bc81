"""The safety services: one door for reports, follow-ups, submissions, stopping rules."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from alstrial.domain.errors import MisuseError, ValidationError
from alstrial.web.core.models import Site
from alstrial.web.safety import services
from alstrial.web.safety.models import AdverseEvent, Notification, StoppingTrigger
from alstrial.web.subjects.services import enrol_subject

pytestmark = pytest.mark.django_db


def test_a_report_is_validated_derived_and_audited(site_zones, enrolled_subject, users, ae_data):
    subject = enrolled_subject("seoul")
    ae = services.record_adverse_event(subject, ae_data(subject), users["coordinator.seoul"])
    ae.refresh_from_db()
    assert (ae.term, ae.term_code, ae.grade) == ("headache", "ALS-AE-001", 1)
    assert ae.expected
    assert ae.related
    assert not ae.serious
    assert not ae.susar
    assert ae.version == 1
    assert ae.history.count() == 1
    assert ae.relatedness_spinal_surgery == ""  # not a procedure of kim2009


def test_a_susar_notifies_the_monitors_in_app_and_by_email(
    site_zones,
    enrolled_subject,
    users,
    ae_data,
    settings,
    django_capture_on_commit_callbacks,
    sae_data,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users["safety.monitor"].email = "monitor@example.org"
    users["safety.monitor"].save()
    subject = enrolled_subject("seoul")
    # e-mail goes after the commit: run the on-commit callbacks as a real commit would
    with django_capture_on_commit_callbacks(execute=True):
        ae = services.record_adverse_event(subject, sae_data(subject), users["coordinator.seoul"])
    assert ae.serious
    assert ae.susar  # meningitis is not on kim2009's list
    # awareness 09:30 in Seoul = 00:30 UTC; the SUSAR clock starts then too
    assert ae.awareness_at.astimezone(UTC).hour == 0
    assert ae.susar_awareness_at == ae.awareness_at
    note = Notification.objects.get(user=users["safety.monitor"], adverse_event=ae)
    assert "New SUSAR" in note.message
    assert subject.code in note.message
    assert "SAE report to the sponsor due" in note.message
    # kim2009 also sends any related SAE to the DSMB: a second, trial-level notification
    rule_note = Notification.objects.get(user=users["safety.monitor"], adverse_event=None)
    assert "data and safety monitoring board" in rule_note.message
    subjects = [m.subject for m in mail.outbox]
    assert len(mail.outbox) == 2
    assert all(m.to == ["monitor@example.org"] for m in mail.outbox)
    assert any("New SUSAR" in s for s in subjects)
    note.refresh_from_db()
    assert note.emailed


def test_bad_input_saves_nothing(site_zones, enrolled_subject, users, ae_data, sae_data):
    subject = enrolled_subject("seoul")
    bad = ae_data(subject, resolution_date=subject.consent_date + timedelta(days=5))
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(subject, bad, users["coordinator.seoul"])
    assert "resolution_date" in excinfo.value.by_field()
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(
            subject, sae_data(subject, seriousness_criteria=[]), users["coordinator.seoul"]
        )
    assert "seriousness_criteria" in excinfo.value.by_field()
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(
            subject,
            ae_data(subject, grade="5", outcome="recovered"),
            users["coordinator.seoul"],
        )
    assert "outcome" in excinfo.value.by_field()
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(
            subject,
            ae_data(subject, grade="9", information_received_at="yesterday"),
            users["coordinator.seoul"],
        )
    assert set(excinfo.value.by_field()) == {"information_received_at", "grade"}
    assert AdverseEvent.objects.count() == 0
    assert Notification.objects.count() == 0


def test_an_unconsented_subject_is_refused(site_zones, screen, users, ae_data):
    subject = screen("seoul")
    subject.consent_date = None  # in memory only: the subject as it would be without consent
    data = ae_data(subject.__class__.objects.get(pk=subject.pk))
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(subject, data, users["coordinator.seoul"])
    assert "has not given consent" in excinfo.value.by_field()["subject_id"][0]
    assert AdverseEvent.objects.count() == 0


def test_a_site_without_a_time_zone_cannot_report(enrolled_subject, users, ae_data):
    subject = enrolled_subject("seoul")
    # A site row from before time zones were required (the model's validator refuses a blank).
    Site.objects.filter(pk=subject.site_id).update(time_zone="")
    subject.site.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(subject, ae_data(subject), users["coordinator.seoul"])
    assert "time_zone" in excinfo.value.by_field()


def test_roles(site_zones, enrolled_subject, users, ae_data):
    subject = enrolled_subject("seoul")
    for name in ("coordinator.novara", "statistician", "celllab.seoul", "safety.monitor"):
        with pytest.raises(PermissionDenied):
            services.record_adverse_event(subject, ae_data(subject), users[name])
    assert AdverseEvent.objects.count() == 0


def test_follow_up_keeps_history_and_a_sequence(site_zones, enrolled_subject, users, ae_data):
    subject = enrolled_subject("seoul")
    user = users["coordinator.seoul"]
    ae = services.record_adverse_event(subject, ae_data(subject), user)
    with pytest.raises(ValidationError) as excinfo:
        services.record_adverse_event(subject, ae_data(subject, grade="2"), user, instance=ae)
    assert "reason" in excinfo.value.by_field()
    ae = AdverseEvent.objects.get(pk=ae.pk)
    services.record_adverse_event(
        subject, ae_data(subject, grade="2"), user, instance=ae, reason="worse", expected_version=1
    )
    ae.refresh_from_db()
    assert (ae.follow_up_number, ae.grade, ae.version) == (1, 2, 2)
    versions = list(ae.history.order_by("history_id").values_list("follow_up_number", "grade"))
    assert versions == [(0, 1), (1, 2)]


def test_a_follow_up_that_makes_it_a_susar_starts_the_susar_clock_then(
    site_zones, enrolled_subject, users, ae_data, sae_data
):
    subject = enrolled_subject("seoul")
    user = users["coordinator.seoul"]
    ae = services.record_adverse_event(
        subject, sae_data(subject, relatedness_lumbar_puncture="unlikely"), user
    )
    assert ae.serious
    assert not ae.susar
    assert ae.susar_awareness_at is None
    ae = AdverseEvent.objects.get(pk=ae.pk)
    received = (subject.consent_date + timedelta(days=20)).strftime("%Y-%m-%dT08:00")
    data = sae_data(subject, information_received_at=received)
    services.record_adverse_event(
        subject, data, user, instance=ae, reason="causality revised", expected_version=1
    )
    ae.refresh_from_db()
    assert ae.susar
    assert ae.susar_awareness_at.astimezone(UTC).hour == 23  # 08:00 KST = 23:00 UTC the day before
    kinds = [o.kind.value for o in ae.obligations("Asia/Seoul")]
    assert kinds == ["sponsor", "authority_initial"]


def test_submission_is_for_a_required_report_once_by_a_monitor(
    site_zones, enrolled_subject, users, ae_data, sae_data
):
    subject = enrolled_subject("seoul")
    ae = services.record_adverse_event(
        subject,
        sae_data(subject, relatedness_lumbar_puncture="unlikely"),
        users["coordinator.seoul"],
    )
    with pytest.raises(PermissionDenied):
        services.record_submission(ae, "sponsor", users["coordinator.seoul"])
    with pytest.raises(ValidationError) as excinfo:
        services.record_submission(ae, "authority_initial", users["safety.monitor"])
    assert "does not require" in excinfo.value.by_field()["kind"][0]
    sent = services.record_submission(ae, "sponsor", users["safety.monitor"], reference="R-1")
    sent.reference = "changed"
    with pytest.raises(MisuseError, match="append-only"):
        sent.save()
    with pytest.raises(MisuseError, match="append-only"):
        sent.delete()
    with pytest.raises(ValidationError) as excinfo:
        services.record_submission(ae, "sponsor", users["safety.monitor"])
    assert "already recorded" in excinfo.value.by_field()["kind"][0]


def related_grade3(subject, ae_data, days=10):
    return ae_data(
        subject,
        term="harvest site haematoma",
        grade="3",
        onset_date=subject.consent_date + timedelta(days=days),
        resolution_date=subject.consent_date + timedelta(days=days + 2),
        relatedness_bone_marrow_aspiration="probable",
    )


def test_stopping_rule_halts_enrolment_until_lifted(
    site_zones, enrolled_subject, screen, users, ae_data
):
    # kim2009: halt enrolment once 2 subjects have a related grade >= 3 adverse event.
    user = users["coordinator.seoul"]
    first, second = enrolled_subject("seoul"), enrolled_subject("seoul")
    services.record_adverse_event(first, related_grade3(first, ae_data), user)
    services.record_adverse_event(first, related_grade3(first, ae_data, 12), user)
    assert not StoppingTrigger.objects.exists()  # one subject, two events: count 1
    waiting = screen("seoul")
    services.record_adverse_event(second, related_grade3(second, ae_data), user)
    trigger = StoppingTrigger.objects.get()
    assert trigger.halts_enrolment
    assert trigger.subject_codes == sorted([first.code, second.code])
    assert Notification.objects.filter(trial=first.trial, adverse_event=None).exists()
    with pytest.raises(ValidationError) as excinfo:
        enrol_subject(waiting, user, enrolment_date=waiting.screening_date)
    assert "halted" in excinfo.value.by_field()["status"][0]
    services.check_dosing_open(first.trial)  # halt_enrolment does not stop dosing
    waiting.refresh_from_db()
    assert waiting.status == "screening"
    assert not waiting.visits.exists()
    with pytest.raises(ValidationError):
        services.lift_trigger(trigger, users["safety.monitor"], " ")
    services.lift_trigger(trigger, users["safety.monitor"], "DSMB: continue, 2024-05-01")
    enrol_subject(waiting, user, enrolment_date=waiting.screening_date)
    waiting.refresh_from_db()
    assert waiting.status == "enrolled"
    # re-evaluating with the same subjects does not re-trigger after the decision
    assert services.apply_stopping_rules(first.trial) == []


def test_overdue_reports_are_announced_once(site_zones, enrolled_subject, users, ae_data, sae_data):
    subject = enrolled_subject("seoul")
    ae = services.record_adverse_event(
        subject,
        sae_data(subject, relatedness_lumbar_puncture="unlikely"),
        users["coordinator.seoul"],
    )
    # aware at 09:30 KST on consent + 11 days: the sponsor report was due 24 h later
    due = ae.awareness_at + timedelta(hours=24)
    assert services.notify_overdue(due - timedelta(seconds=1)) == []
    rows = services.notify_overdue(due)
    assert [r.obligation.kind.value for r in rows] == ["sponsor"]
    overdue = Notification.objects.filter(message__startswith="OVERDUE")
    assert overdue.count() == 1  # one safety monitor at Seoul
    services.notify_overdue(due + timedelta(hours=5))
    assert overdue.count() == 1  # not repeated
    services.record_submission(ae, "sponsor", users["safety.monitor"])
    assert services.notify_overdue(due + timedelta(hours=6)) == []


def test_reports_due_soon_get_one_reminder(site_zones, enrolled_subject, users, sae_data):
    subject = enrolled_subject("seoul")
    ae = services.record_adverse_event(
        subject,
        sae_data(subject, relatedness_lumbar_puncture="unlikely"),
        users["coordinator.seoul"],
    )
    due = ae.awareness_at + timedelta(hours=24)
    six_hours = timedelta(hours=6)
    assert services.notify_overdue(due - timedelta(hours=7), due_within=six_hours) == []
    rows = services.notify_overdue(due - timedelta(hours=5), due_within=six_hours)
    assert [r.status for r in rows] == ["due"]
    services.notify_overdue(due - timedelta(hours=1), due_within=six_hours)
    assert Notification.objects.filter(message__startswith="DUE SOON").count() == 1


def test_coding_a_free_text_term_keeps_the_verbatim_and_rederives(
    site_zones, enrolled_subject, users, ae_data, sae_data
):
    subject = enrolled_subject("seoul")
    data = sae_data(subject, term="Head pain after the LP", grade="2")
    ae = services.record_adverse_event(subject, data, users["coordinator.seoul"])
    assert ae.needs_coding
    assert ae.susar  # uncoded: unexpected until coded
    with pytest.raises(PermissionDenied):
        services.code_term(ae, "headache", users["coordinator.seoul"])
    with pytest.raises(ValidationError) as excinfo:
        services.code_term(ae, "head thing", users["safety.monitor"])
    assert "term" in excinfo.value.by_field()
    services.code_term(AdverseEvent.objects.get(pk=ae.pk), "headache", users["safety.monitor"])
    ae.refresh_from_db()
    assert (ae.verbatim_term, ae.term, ae.term_code) == (
        "Head pain after the LP",
        "headache",
        "ALS-AE-001",
    )
    assert ae.expected
    assert not ae.susar
    assert ae.history.first().history_change_reason == "coded as 'headache' (ALS-AE-001)"
    assert Notification.objects.filter(message__contains="no longer a SUSAR").exists()


def test_a_susar_that_turns_fatal_runs_the_7_day_clock_from_that_news(
    site_zones, enrolled_subject, users, ae_data, sae_data
):
    subject = enrolled_subject("seoul")
    user = users["coordinator.seoul"]
    ae = services.record_adverse_event(subject, sae_data(subject), user)
    first_day0 = ae.susar_awareness_at
    kinds = [o.kind.value for o in ae.obligations("Asia/Seoul")]
    assert kinds == ["sponsor", "authority_initial"]  # 15 days
    death = subject.consent_date + timedelta(days=30)
    received = f"{death}T08:00"
    data = sae_data(
        subject,
        grade="5",
        outcome="fatal",
        resolution_date=death,
        seriousness_criteria=["hospitalisation", "death"],
        information_received_at=received,
    )
    ae = AdverseEvent.objects.get(pk=ae.pk)
    services.record_adverse_event(
        subject, data, user, instance=ae, reason="died", expected_version=1
    )
    ae.refresh_from_db()
    assert ae.susar_awareness_at != first_day0
    obligations = ae.obligations("Asia/Seoul")
    assert [o.kind.value for o in obligations] == ["sponsor", "authority_initial", "authority_full"]
    # day 0 = the day the death was reported (08:00 KST); 7 and 15 calendar days from it
    assert obligations[1].day0 == death
    assert obligations[1].last_local_day == death + timedelta(days=7)
    assert obligations[2].last_local_day == death + timedelta(days=15)


def test_a_related_death_halts_the_trial_enrolment_and_dosing(
    site_zones, enrolled_subject, users, sae_data
):
    subject = enrolled_subject("seoul")
    data = sae_data(
        subject,
        grade="5",
        outcome="fatal",
        resolution_date=subject.consent_date + timedelta(days=12),
        seriousness_criteria=["death"],
    )
    services.record_adverse_event(subject, data, users["coordinator.seoul"])
    actions = set(StoppingTrigger.objects.values_list("action", flat=True))
    assert actions == {"halt_trial", "dsmb_review"}
    with pytest.raises(ValidationError) as excinfo:
        services.check_dosing_open(subject.trial)
    assert "dosing in kim2009 is halted" in excinfo.value.by_field()["trial"][0]
    with pytest.raises(ValidationError):
        services.check_enrolment_open(subject.trial)

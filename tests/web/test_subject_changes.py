"""Corrections of screening data, identifying data behind its own roles, withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from alstrial.web.subjects.models import Subject, SubjectIdentity


def correction(subject, **changes):
    data = {
        "consent_date": subject.consent_date.isoformat(),
        "screening_date": subject.screening_date.isoformat(),
        "sex": subject.sex,
        "age_years": subject.age_years,
        "onset_site": subject.onset_site,
        "symptom_onset_date": subject.symptom_onset_date.isoformat(),
        "el_escorial": subject.el_escorial,
        "alsfrs_r_total": subject.screening_alsfrs_r_total,
        "fvc_percent_predicted": subject.screening_fvc_percent,
        "version": subject.version,
        "reason": "",
    }
    data.update(changes)
    return data


def test_correction_rejudges_eligibility_with_a_reason(client, users, screen):
    subject = screen("seoul")
    client.force_login(users["coordinator.seoul"])
    url = reverse("subjects:correct", args=[subject.pk])
    refused = client.post(url, correction(subject, fvc_percent_predicted="45"))
    assert refused.status_code == 400
    assert "reason" in refused.context["form"].errors
    assert Subject.objects.get(pk=subject.pk).screening_fvc_percent == 85.0
    response = client.post(
        url, correction(subject, fvc_percent_predicted="45", reason="FVC transcribed wrongly")
    )
    assert response.status_code == 302
    subject.refresh_from_db()
    assert (subject.status, subject.eligible, subject.version) == ("screen_failed", False, 2)
    failed = [f["key"] for f in subject.eligibility_findings if f["passed"] is False]
    assert failed == ["fvc_percent_predicted"]


def test_correction_out_of_range_names_the_field(client, users, screen):
    subject = screen("seoul")
    client.force_login(users["coordinator.seoul"])
    response = client.post(
        reverse("subjects:correct", args=[subject.pk]),
        correction(subject, alsfrs_r_total="49", reason="typo"),
    )
    assert response.status_code == 400
    assert "alsfrs_r_total" in response.context["form"].errors
    assert Subject.objects.get(pk=subject.pk).screening_alsfrs_r_total == 40


def test_stale_correction_is_a_conflict(client, users, screen):
    subject = screen("seoul")
    client.force_login(users["coordinator.seoul"])
    url = reverse("subjects:correct", args=[subject.pk])
    assert client.post(url, correction(subject, sex="F", reason="sex")).status_code == 302
    stale = client.post(url, correction(subject, age_years="60", reason="age"))
    assert stale.status_code == 409
    assert Subject.objects.get(pk=subject.pk).age_years == 52


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("coordinator.seoul", 200),
        ("investigator.seoul", 200),
        ("statistician", 403),
        ("celllab.seoul", 403),
        ("safety.monitor", 403),
        ("coordinator.novara", 404),
    ],
)
def test_identity_is_open_only_to_identity_roles_of_the_site(
    client, users, screen, username, status
):
    subject = screen("seoul")
    client.force_login(users[username])
    assert client.get(reverse("subjects:identity", args=[subject.pk])).status_code == status


def test_identity_is_saved_apart_and_changes_need_a_reason(client, users, screen):
    subject = screen("seoul")
    client.force_login(users["coordinator.seoul"])
    url = reverse("subjects:identity", args=[subject.pk])
    assert client.post(url, {"full_name": "Kim Min-jun"}).status_code == 302
    assert client.post(url, {"full_name": "Kim Minjun"}).status_code == 400
    assert SubjectIdentity.objects.get(subject=subject).full_name == "Kim Min-jun"
    client.post(url, {"full_name": "Kim Minjun", "reason": "spelling per passport"})
    identity = SubjectIdentity.objects.get(subject=subject)
    assert identity.full_name == "Kim Minjun"
    assert identity.history.first().history_change_reason == "spelling per passport"
    # The clinical audit trail and pages of a statistician never carry the name.
    client.force_login(users["statistician"])
    page = client.get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    assert "Kim" not in page


def test_withdrawal(client, users, enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)
    client.force_login(users["coordinator.seoul"])
    url = reverse("subjects:withdraw", args=[subject.pk])
    client.post(url, {"withdrawal_date": subject.enrolment_date.isoformat()})
    assert Subject.objects.get(pk=subject.pk).status == "enrolled"  # no reason given
    client.post(
        url,
        {
            "withdrawal_date": (subject.enrolment_date + timedelta(days=10)).isoformat(),
            "withdrawal_reason": "moved abroad",
        },
    )
    subject.refresh_from_db()
    assert (subject.status, subject.withdrawal_reason) == ("withdrawn", "moved abroad")


def test_screening_takes_the_next_free_number_when_one_was_just_taken(screen, monkeypatch):
    from alstrial.web.subjects import services

    first = screen("seoul")
    calls = []
    real = services._next_number

    def stale_then_real(site):
        calls.append(site)
        return first.number if len(calls) == 1 else real(site)  # as if read a moment too early

    monkeypatch.setattr(services, "_next_number", stale_then_real)
    second = screen("seoul")
    assert len(calls) == 2
    assert second.number == first.number + 1
    assert Subject.objects.count() == 2

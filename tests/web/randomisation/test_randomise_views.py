"""The subject page's Randomise button and emergency unblinding through the web pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alstrial.web.randomisation.models import Allocation, UnblindingRequest


def _client(client, user):
    client.force_login(user)
    return client


def test_randomise_button_confirm_and_result(rct_subject, users, client):
    subject = rct_subject()
    c = _client(client, users["coordinator.seoul"])
    detail = c.get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    assert 'id="randomise-button"' in detail
    confirm = c.get(reverse("randomisation:randomise", args=[subject.pk]))
    assert confirm.status_code == 200
    assert not Allocation.objects.exists()  # GET only asks for confirmation
    done = c.post(reverse("randomisation:randomise", args=[subject.pk]))
    assert done.status_code == 302
    allocation = Allocation.objects.get(subject=subject)
    page = c.get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    assert f'<div id="randomisation-number">{allocation.randomisation_number}</div>' in page
    assert 'id="randomisation-arm"' not in page  # a coordinator is blinded
    assert 'id="randomise-button"' not in page
    again = c.post(reverse("randomisation:randomise", args=[subject.pk]))
    assert again.status_code == 409
    assert "already randomised" in again.content.decode()


def test_randomise_page_names_the_reason_it_refuses(rct_subject, users, client):
    subject = rct_subject(decline=0.0)
    c = _client(client, users["investigator.seoul"])
    refused = c.post(reverse("randomisation:randomise", args=[subject.pk]))
    assert refused.status_code == 422
    assert "lead_in_decline_points_per_month" in refused.content.decode()
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("celllab.seoul", 403), ("admin", 403), ("statistician", 403), ("investigator.seoul", 200)],
)
def test_randomise_page_roles(rct_subject, users, client, username, status):
    subject = rct_subject()
    response = _client(client, users[username]).get(
        reverse("randomisation:randomise", args=[subject.pk])
    )
    # The site administrator manages accounts; randomising is the site staff's act.
    assert response.status_code == status


def test_another_sites_subject_is_404(rct_subject, users, client):
    subject = rct_subject()
    response = _client(client, users["coordinator.novara"]).post(
        reverse("randomisation:randomise", args=[subject.pk])
    )
    assert response.status_code in (403, 404)
    assert not Allocation.objects.exists()


def test_emergency_unblinding_through_the_pages(rct_subject, users, client, django_user_model):
    from alstrial.web.core.models import SiteMembership
    from alstrial.web.randomisation.services import randomise_subject

    subject = rct_subject()
    allocation = randomise_subject(users["coordinator.seoul"], subject)
    investigator = users["investigator.seoul"]
    c = _client(client, investigator)
    url = reverse("randomisation:request_unblinding", args=[subject.pk])
    c.post(url, {"reason": "anaphylaxis"})
    request = UnblindingRequest.objects.get(subject=subject)
    # The requester may not approve their own request.
    assert c.post(reverse("randomisation:approve", args=[request.pk])).status_code == 403
    request.refresh_from_db()
    assert request.status == "requested"
    monitor = users["safety.monitor"]
    approved = _client(client, monitor).post(reverse("randomisation:approve", args=[request.pk]))
    assert approved.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.approved_by) == ("approved", monitor)
    approver_page = client.get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    assert 'id="unblinded-arm"' not in approver_page  # the approver stays blinded
    requester_page = (
        _client(client, investigator)
        .get(reverse("subjects:detail", args=[subject.pk]))
        .content.decode()
    )
    assert f'<span id="unblinded-arm">{allocation.sealed_arm.arm}</span>' in requester_page
    other = django_user_model.objects.create_user("investigator2.seoul", password="x-for-tests")
    SiteMembership.objects.create(user=other, site=subject.site, role="investigator")
    other_page = (
        _client(client, other).get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    )
    assert 'id="unblinded-arm"' not in other_page


@pytest.mark.parametrize(
    ("username", "shown"),
    [
        ("unblinded.seoul", True),
        ("dsmb.statistician", True),
        ("coordinator.seoul", False),
        ("investigator.seoul", False),
        ("celllab.seoul", False),
        ("statistician", False),
        ("safety.monitor", False),
    ],
)
def test_the_arm_on_the_subject_page_only_for_unblinded_roles(
    rct_subject, users, client, username, shown
):
    from alstrial.web.randomisation.services import arm_of, randomise_subject

    subject = rct_subject()
    randomise_subject(users["coordinator.seoul"], subject)
    page = _client(client, users[username]).get(reverse("subjects:detail", args=[subject.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert ('id="randomisation-number"' in html) is True
    assert (f'<div id="randomisation-arm">{arm_of(subject)}</div>' in html) is shown

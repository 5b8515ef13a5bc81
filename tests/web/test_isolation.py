"""Every page, as a user of the other site (404) and as each role (what it may and may not do)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.assessments.models import AlsfrsAssessment, EndpointEvent
from alstrial.web.core.records import save_clinical


@pytest.fixture
def novara_world(enrolled_subject, users):
    """A Novara subject with a recorded visit, an ALSFRS-R and an endpoint."""
    subject = enrolled_subject("novara", days_ago=80)
    visit = subject.visits.get(code="SCR")
    user = users["coordinator.novara"]
    items = {i.key: 4 for i in ITEMS if i.key != "cutting_with_gastrostomy"}
    alsfrs = save_clinical(AlsfrsAssessment(subject=subject, visit=visit, **items), user)
    endpoint = save_clinical(
        EndpointEvent(subject=subject, kind="tracheostomy", event_date=timezone.localdate()), user
    )
    return subject, visit, alsfrs, endpoint


def object_urls(subject, visit, endpoint) -> list[str]:
    return [
        reverse("subjects:detail", args=[subject.pk]),
        reverse("subjects:enrol", args=[subject.pk]),
        reverse("subjects:visit", args=[visit.pk]),
        reverse("subjects:correct", args=[subject.pk]),
        reverse("subjects:identity", args=[subject.pk]),
        reverse("subjects:withdraw", args=[subject.pk]),
        reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"]),
        reverse("assessments:visit_form", args=[visit.pk, "fvc"]),
        reverse("assessments:visit_form_delete", args=[visit.pk, "alsfrs_r"]),
        reverse("assessments:endpoint_new", args=[subject.pk]),
        reverse("assessments:endpoint_edit", args=[subject.pk, endpoint.pk]),
        reverse("audit:subject", args=[subject.pk]),
        reverse("audit:subject_csv", args=[subject.pk]),
        reverse("audit:trial_csv", args=[subject.trial.slug]),
        reverse("trials:dashboard", args=[subject.trial.slug]),
        reverse("trials:analysis_csv", args=[subject.trial.slug, "subjects"]),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_object_page_of_the_other_site_is_404(client, make_user, novara_world, method):
    """A user holding every role at Seoul: no role check stops the request, only the site."""
    from alstrial.web.core.models import Role

    subject, visit, _, endpoint = novara_world
    client.force_login(make_user("everything.seoul", {"seoul": list(Role.values)}))
    for url in object_urls(subject, visit, endpoint):
        if method == "get" and url.endswith(("/enrol/", "/withdraw/", "/delete/")):
            continue  # POST only: a GET answers 405 whatever the subject
        response = getattr(client, method)(url)
        assert response.status_code == 404, url


def test_the_own_sites_coordinator_reaches_every_page(client, users, novara_world):
    subject, visit, _, endpoint = novara_world
    client.force_login(users["coordinator.novara"])
    for url in object_urls(subject, visit, endpoint):
        if url.endswith(("/enrol/", "/withdraw/", "/delete/")):
            continue  # POST only
        expected = 403 if "/analysis/" in url else 200  # analysis data: not a coordinator's
        assert client.get(url).status_code == expected, url


def test_lists_and_exports_hold_only_own_site_rows(client, users, novara_world, enrolled_subject):
    seoul = enrolled_subject("seoul")
    novara = novara_world[0]
    client.force_login(users["coordinator.seoul"])
    page = client.get(reverse("subjects:list")).content.decode()
    assert seoul.code in page
    assert novara.code not in page
    home = client.get(reverse("home"), follow=True).content.decode()
    assert "mazzini2003" not in home


def test_anonymous_is_sent_to_login(client, novara_world):
    subject = novara_world[0]
    response = client.get(reverse("subjects:detail", args=[subject.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("username", "may_write", "may_audit"),
    [
        ("coordinator.novara", True, True),
        ("safety.monitor", False, True),
        ("statistician", False, False),
        ("celllab.novara", False, False),
    ],
)
def test_roles(client, users, novara_world, username, may_write, may_audit):
    subject, visit, alsfrs, _ = novara_world
    client.force_login(users[username])
    url = reverse("assessments:visit_form", args=[visit.pk, "alsfrs_r"])
    assert client.get(url).status_code == 200
    data = {i.key: "3" for i in ITEMS if i.key != "cutting_with_gastrostomy"}
    data.update(visit_date=visit.visit_date.isoformat(), reason="role test", version="1")
    response = client.post(url, data)
    assert (response.status_code == 302) == may_write
    if not may_write:
        assert response.status_code == 403
        alsfrs.refresh_from_db()
        assert alsfrs.speech == 4
    audit = client.get(reverse("audit:subject", args=[subject.pk]))
    assert audit.status_code == (200 if may_audit else 403)
    screen = client.get(reverse("subjects:screen"))
    assert screen.status_code == (200 if may_write else 403)


def test_statistician_sees_no_dates_or_free_text(client, users, novara_world):
    subject, visit, *_ = novara_world
    client.force_login(users["statistician"])
    page = client.get(reverse("subjects:detail", args=[subject.pk])).content.decode()
    assert subject.consent_date.isoformat() not in page
    assert visit.visit_date.isoformat() not in page
    assert f"day {visit.study_day}" in page


@pytest.mark.parametrize("form_key", ["alsfrs_r", "mri_spine"])
def test_statistician_forms_show_no_dates_or_free_text(client, users, novara_world, form_key):
    _, visit, *_ = novara_world
    client.force_login(users["statistician"])
    page = client.get(reverse("assessments:visit_form", args=[visit.pk, form_key]))
    body = page.content.decode()
    assert page.status_code == 200
    assert visit.visit_date.isoformat() not in body
    assert 'name="visit_date"' not in body
    assert 'name="notes"' not in body
    assert client.get(reverse("subjects:visit", args=[visit.pk])).status_code == 403


def test_statistician_dashboard_shows_study_days(client, users, enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)  # LI0's window has closed: overdue
    overdue = subject.visits.get(code="LI0")
    client.force_login(users["statistician"])
    page = client.get(reverse("trials:dashboard", args=["kim2009"])).content.decode()
    assert subject.code in page
    assert f"day {overdue.latest_day}" in page
    assert overdue.latest_date.isoformat() not in page


WALKED = {
    "subjects:detail",
    "subjects:enrol",
    "subjects:visit",
    "subjects:correct",
    "subjects:identity",
    "subjects:withdraw",
    "assessments:visit_form",
    "assessments:visit_form_delete",
    "assessments:endpoint_new",
    "assessments:endpoint_edit",
    "audit:subject",
    "audit:subject_csv",
    "audit:trial_csv",
    "trials:dashboard",
    "trials:analysis_csv",
}


def test_the_walk_covers_every_object_url_of_these_apps():
    """A new page that takes an object from the URL must join the 404 walk above."""
    from django.urls import get_resolver

    found = set()
    for namespace in ("subjects", "assessments", "audit", "trials"):
        resolver = get_resolver().namespace_dict[namespace][1]
        for pattern in resolver.url_patterns:
            if pattern.pattern.converters:
                found.add(f"{namespace}:{pattern.name}")
    assert found == WALKED

"""No link to a page the role cannot open, and error pages that keep the navigation
(docs/web.md, 'Errors you can see')."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.ui.test_accessibility import parse

ROLES = [
    "coordinator.seoul",
    "investigator.seoul",
    "celllab.seoul",
    "safety.monitor",
    "statistician",
]


@pytest.mark.parametrize("username", ROLES)
def test_no_page_a_role_reaches_links_to_a_403(client, users, enrolled_subject, username):
    subject = enrolled_subject("seoul")
    client.force_login(users[username])
    client.raise_request_exception = False  # this test is about refusals (403) only
    starts = [
        reverse("home"),
        reverse("trials:dashboard", args=["kim2009"]),
        reverse("subjects:detail", args=[subject.pk]),
    ]
    refused = []
    checked = 0
    for start in starts:
        response = client.get(start)
        if response.status_code != 200:
            continue
        for link in parse(response.content.decode()).links:
            if not link.startswith("/") or "logout" in link or link.startswith("/admin/"):
                continue
            checked += 1
            if client.get(link).status_code == 403:
                refused.append(f"{start} links to {link}")
    assert checked > 0
    assert not refused, "\n".join(refused)


def test_the_statistician_dashboard_links_to_aggregate_safety_tables_only(client, users, kim_trial):
    client.force_login(users["statistician"])
    html = client.get(reverse("trials:dashboard", args=["kim2009"])).content.decode()
    links = parse(html).links
    assert reverse("safety:tables", args=["kim2009"]) in links
    assert reverse("safety:board") not in links
    client.force_login(users["safety.monitor"])
    html = client.get(reverse("trials:dashboard", args=["kim2009"])).content.decode()
    assert reverse("safety:board") in parse(html).links


def test_403_and_404_pages_keep_the_navigation(client, users, kim_trial):
    client.force_login(users["statistician"])
    refused = client.get(reverse("safety:board"))
    assert refused.status_code == 403
    missing = client.get("/subjects/987654/")
    assert missing.status_code == 404
    for response, heading in ((refused, "You cannot open this page"), (missing, "Page not found")):
        html = response.content.decode()
        assert heading in html
        assert f'href="{reverse("subjects:list")}"' in html  # the navigation is there
        assert 'href="#main"' in html

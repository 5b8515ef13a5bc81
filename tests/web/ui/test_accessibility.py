"""Accessibility of every form page (docs/web.md, 'Accessibility'): each ``aria-describedby``
names ids that exist on the page, a required radio group is a radiogroup marked required (for
the eye in its legend, for screen readers with ``aria-required``), every page has the skip link
to ``#main``, and a form sent back with errors has the summary linking to each field.

The pages are found by following the links of each role's pages (one level from the
subject, product and safety pages), so a new form page is checked without listing it here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.urls import reverse


class _Page(HTMLParser):
    """Ids, aria-describedby references, radio inputs with their enclosing groups, links."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: list[tuple[str, str]] = []  # (tag, id referred to)
        self.links: list[str] = []
        self.required_radios: list[tuple[str, dict | None]] = []  # (name, enclosing fieldset)
        self.fieldsets: list[dict] = []
        self.has_form = False
        self._legend_of: dict[int, str] = {}
        self._in_legend: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for ref in (attrs.get("aria-describedby") or "").split():
            self.described_by.append((tag, ref))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form":
            self.has_form = True
        if tag == "fieldset":
            self.fieldsets.append({**attrs, "legend": ""})
        if tag == "legend" and self.fieldsets:
            self._in_legend = self.fieldsets[-1]
        if tag == "input" and attrs.get("type") == "radio" and "required" in attrs:
            group = self.fieldsets[-1] if self.fieldsets else None
            self.required_radios.append((attrs.get("name", ""), group))

    def handle_endtag(self, tag):
        if tag == "legend":
            self._in_legend = None
        if tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()

    def handle_data(self, data):
        if self._in_legend is not None:
            self._in_legend["legend"] += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def check_page(url: str, html: str) -> list[str]:
    """The accessibility problems of one page, each naming the page and the element."""
    page = parse(html)
    problems = [
        f"{url}: <{tag} aria-describedby> names #{ref}, which is not on the page"
        for tag, ref in page.described_by
        if ref not in page.ids
    ]
    for name, group in page.required_radios:
        if group is None or group.get("role") != "radiogroup":
            problems.append(f"{url}: required radio group {name!r} is not a radiogroup fieldset")
        elif group.get("aria-required") != "true" or "(required)" not in group["legend"]:
            problems.append(f"{url}: required radio group {name!r} is not marked required")
    if 'href="#main"' not in html or 'id="main"' not in html:
        problems.append(f"{url}: no skip link to #main")
    return problems


SKIP = ("logout", ".csv", ".png", ".pdf", ".zip", "/api/", "/admin/", "download", "label")


def crawl(client, starts: list[str]) -> dict[str, str]:
    """The pages reached from ``starts`` and one link further (same site, GET only)."""
    seen: dict[str, str] = {}
    frontier = list(starts)
    for depth in range(2):
        following = []
        for url in frontier:
            path = urlparse(url).path
            if path in seen or not path.startswith("/") or any(s in path for s in SKIP):
                continue
            response = client.get(path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            seen[path] = html
            if depth == 0:
                following += parse(html).links
        frontier = following
    return seen


@pytest.fixture
def seoul_subject(enrolled_subject):
    return enrolled_subject("seoul")


@pytest.mark.parametrize(
    "username", ["coordinator.seoul", "celllab.seoul", "safety.monitor", "statistician"]
)
def test_every_form_page_refers_to_real_ids_and_marks_required_radio_groups(
    client, users, seoul_subject, username
):
    client.force_login(users[username])
    starts = [
        reverse("home"),
        reverse("subjects:list"),
        reverse("subjects:detail", args=[seoul_subject.pk]),
        reverse("product:subject", args=[seoul_subject.pk]),
        reverse("safety:new"),
    ]
    pages = crawl(client, starts)
    form_pages = {url: html for url, html in pages.items() if parse(html).has_form}
    assert len(form_pages) >= 3, sorted(pages)
    problems = [p for url, html in form_pages.items() for p in check_page(url, html)]
    assert not problems, "\n".join(problems)


def test_the_checker_finds_a_dangling_reference_and_an_unmarked_group():
    html = (
        '<a href="#main">skip</a><main id="main"><form>'
        '<input id="id_a" aria-describedby="id_a_helptext">'
        '<fieldset><legend>Sex</legend><input type="radio" name="sex" required></fieldset>'
        "</form></main>"
    )
    problems = check_page("/x/", html)
    assert any("#id_a_helptext" in p for p in problems)
    assert any("'sex'" in p for p in problems)


def test_the_ae_form_marks_serious_as_a_required_radio_group(client, users, seoul_subject):
    client.force_login(users["coordinator.seoul"])
    html = client.get(reverse("safety:new")).content.decode()
    page = parse(html)
    assert any(name == "serious" for name, _ in page.required_radios)
    assert not check_page("/safety/new/", html)


def test_a_form_with_errors_has_a_summary_linking_to_each_field(client, users, kim_trial):
    client.force_login(users["coordinator.seoul"])
    response = client.post(reverse("subjects:screen"), {"age_years": "52"})
    assert response.status_code == 400
    html = response.content.decode()
    page = parse(html)
    assert 'id="error-summary"' in html
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    targets = [href[1:] for href in parse(summary).links]
    assert "id_consent_date" in targets
    assert all(target in page.ids for target in targets), targets
    assert not check_page("/subjects/screen/", html)

"""A coordinator in a real browser: log in, screen and enrol, enter a lead-in ALSFRS-R with the
live score, edit it with a reason, and find the change on the audit page.

Runs Debian's Chromium through Playwright (the ``browser_page`` fixture of conftest.py).
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from alstrial.domain.alsfrs_items import ITEMS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_coordinator_journey(browser_page, live_server, make_user, kim_trial):
    page = browser_page
    make_user("coordinator.seoul", {"seoul": ["coordinator"]}, password="a-long-test-password")
    today = timezone.localdate()
    screening = today - timedelta(days=100)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "coordinator.seoul")
    page.fill("#id_password", "a-long-test-password")
    page.click("main button[type=submit]")
    page.wait_for_url("**/trials/kim2009/")

    page.goto(f"{live_server.url}/subjects/screen/")
    for name, value in {
        "consent_date": screening.isoformat(),
        "screening_date": screening.isoformat(),
        "age_years": "55",
        "symptom_onset_date": (screening - timedelta(days=400)).isoformat(),
        "alsfrs_r_total": "41",
        "fvc_percent_predicted": "88",
    }.items():
        page.fill(f"#id_{name}", value)
    page.select_option("#id_sex", "F")  # nothing is pre-selected (docs/web.md, 'Forms')
    page.select_option("#id_onset_site", "spinal")
    page.select_option("#id_el_escorial", "probable")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=screened: eligible")
    page.click("text=Enrol and create the visit schedule")
    page.wait_for_selector("#visit-LI0")
    page.screenshot(path=str(ARTIFACTS / "subject-schedule.png"), full_page=True)

    page.click('#visit-LI0 a[data-form="alsfrs_r"]')
    page.wait_for_selector("#alsfrs-form")
    visit_day = screening + timedelta(days=105 - 91)
    page.fill("#id_visit_date", visit_day.isoformat())
    scores = {item.key: "4" for item in ITEMS if item.key != "cutting_with_gastrostomy"}
    scores.update(walking="3", climbing_stairs="2")
    for key, value in scores.items():
        page.check(f'input[name="{key}"][value="{value}"]')
    total = page.locator('[data-testid="alsfrs-total"]')
    total.filter(has_text="45").wait_for()
    assert page.inner_text('[data-testid="kings-stage"]') == "1"
    assert page.inner_text('[data-testid="mitos-stage"]') == "0"
    page.check('input[name="speech"][value="3"]')  # bulbar region now involved: King's 2
    total.filter(has_text="44").wait_for()
    assert page.inner_text('[data-testid="kings-stage"]') == "2"
    page.screenshot(path=str(ARTIFACTS / "alsfrs-entry.png"), full_page=True)
    page.click("#alsfrs-form button[type=submit]")
    page.wait_for_selector("text=ALSFRS-R saved")

    page.click('#visit-LI0 a[data-form="alsfrs_r"]')
    page.check('input[name="walking"][value="2"]')
    page.click("#alsfrs-form button[type=submit]")
    page.wait_for_selector("#field-reason .errorlist")  # no reason: refused, next to the field
    page.check('input[name="walking"][value="2"]')
    page.fill("#id_reason", "walking re-scored after source review")
    page.click("#alsfrs-form button[type=submit]")
    page.wait_for_selector("text=ALSFRS-R saved")

    page.click("text=Audit trail")
    page.wait_for_selector("text=walking re-scored after source review")
    row = page.locator("tr.audit-entry", has_text="walking re-scored after source review")
    assert "walking" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "audit-trail.png"), full_page=True)

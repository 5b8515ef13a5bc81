"""In a real browser: a coordinator reports a serious event; the safety monitor sees its
reports due on the safety board and closes the sponsor report by marking it sent.

Same conventions as tests/web/test_browser.py (Debian's Chromium through Playwright, skipped
without it except under CI); screenshots go to test-artifacts/safety-*.png.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

PASSWORD = "pw-for-tests-only"  # tests/web/conftest.py make_user default
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_serious_event_reported_then_closed_on_the_board(
    browser_page,  # tests/web/conftest.py: Debian's Chromium through Playwright
    live_server,
    site_zones,
    enrolled_subject,
):
    page = browser_page
    subject = enrolled_subject("seoul")
    # aware an hour ago (site time): the sponsor report is due, not yet overdue
    aware = timezone.now().astimezone(ZoneInfo("Asia/Seoul")) - timedelta(hours=1)
    onset = aware.date()

    log_in(page, live_server.url, "coordinator.seoul")
    page.goto(f"{live_server.url}/safety/new/?subject={subject.code}")
    page.fill("#id_term", "meningitis")
    page.fill("#id_onset_date", onset.isoformat())
    page.select_option("#id_grade", "3")
    page.check('input[name="serious"][value="yes"]')
    page.fill("#id_awareness_at", aware.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_relatedness_cell_product", "unlikely")
    page.select_option("#id_relatedness_bone_marrow_aspiration", "unrelated")
    page.select_option("#id_relatedness_lumbar_puncture", "possible")
    page.select_option("#id_action_taken", "treatment_delayed")
    page.select_option("#id_outcome", "recovering")
    page.click("form.card button[type=submit]")
    # serious without a criterion: refused, the message next to the criteria
    page.wait_for_selector("#field-seriousness_criteria .errorlist")
    page.screenshot(path=str(ARTIFACTS / "safety-report-refused.png"), full_page=True)
    page.check('input[name="seriousness_criteria"][value="hospitalisation"]')
    page.click("form.card button[type=submit]")
    page.wait_for_selector("text=This event is a SUSAR")
    assert "Asia/Seoul" in page.content()
    page.screenshot(path=str(ARTIFACTS / "safety-report-saved.png"), full_page=True)
    page.click("header .who button")  # log out

    log_in(page, live_server.url, "safety.monitor")
    page.goto(f"{live_server.url}/safety/board/")
    sponsor = page.locator("tr.report-row", has_text="SAE report to the sponsor")
    assert sponsor.get_attribute("data-status") == "due"
    assert subject.code in sponsor.inner_text()
    page.screenshot(path=str(ARTIFACTS / "safety-board-due.png"), full_page=True)
    sponsor.locator('input[name="reference"]').fill("SPONSOR-2026-001")
    sponsor.locator("button[type=submit]").click()
    page.wait_for_selector("text=SAE report to the sponsor recorded")
    sent = page.locator('tr.report-row[data-status="submitted"]')
    assert "SAE report to the sponsor" in sent.inner_text()
    # the authority report of the SUSAR is still open
    still_open = page.locator('tr.report-row[data-status="due"]')
    assert "SUSAR report to the authorities" in still_open.inner_text()
    page.screenshot(path=str(ARTIFACTS / "safety-board-closed.png"), full_page=True)
    assert subject.adverse_events.get().submissions.get().reference == "SPONSOR-2026-001"

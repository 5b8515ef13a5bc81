"""The Randomise button in a real browser: a blinded coordinator randomises after the
confirmation page and sees the number but not the arm; the unblinded pharmacist sees the arm.

Runs Debian's Chromium through Playwright (the ``browser_page`` fixture of tests/web/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PASSWORD = "pw-for-tests-only"  # tests/web/conftest.py make_user's default


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_randomise_button_blinded_and_unblinded(browser_page, live_server, rct_subject, users):
    from alstrial.web.randomisation.models import Allocation
    from alstrial.web.randomisation.services import arm_of

    page = browser_page
    subject = rct_subject()
    _log_in(page, live_server.url, "coordinator.seoul")
    page.goto(f"{live_server.url}/subjects/{subject.pk}/")
    page.click("#randomise-button")
    page.wait_for_selector("#confirm-randomise")
    assert not Allocation.objects.exists()  # the button only asks for confirmation
    page.click("#confirm-randomise")
    page.wait_for_selector("#randomisation-number")
    allocation = Allocation.objects.get(subject=subject)
    assert page.inner_text("#randomisation-number") == str(allocation.randomisation_number)
    assert page.locator("#randomisation-arm").count() == 0
    assert page.locator("#randomise-button").count() == 0
    page.screenshot(path=str(ARTIFACTS / "randomised-blinded.png"), full_page=True)

    page.context.clear_cookies()
    _log_in(page, live_server.url, "unblinded.seoul")
    page.goto(f"{live_server.url}/subjects/{subject.pk}/")
    page.wait_for_selector("#randomisation-arm")
    assert page.inner_text("#randomisation-arm") == arm_of(subject)

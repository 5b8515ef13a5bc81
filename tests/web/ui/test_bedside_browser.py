"""The bedside form in a real browser (docs/product.md, 'Administration'): a scanner's Enter in
the wristband field moves to the lot field instead of submitting, and after a refusal the
scanned fields are empty. Also the error summary at the top of the refused form, linking to its
fields (docs/web.md, 'Errors you can see')."""

from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_scanner_enter_moves_on_and_a_refusal_clears_the_scans(
    browser_page, live_server, make_user, enrolled_subject
):
    page = browser_page
    subject = enrolled_subject("seoul")
    make_user("nurse.seoul", {"seoul": ["investigator"]}, password="a-long-test-password")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "nurse.seoul")
    page.fill("#id_password", "a-long-test-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()

    url = f"{live_server.url}/product/subjects/{subject.pk}/administer/"
    page.goto(url)
    page.click("#id_scanned_subject_id")
    page.keyboard.type(subject.code)
    page.keyboard.press("Enter")  # what a scanner sends after the code
    assert page.evaluate("document.activeElement.id") == "id_scanned_lot_id"
    assert page.locator("#refusal").count() == 0  # nothing was submitted
    page.keyboard.type("NOT-A-LOT")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_route"

    page.click("#administer-form button[type=submit]")
    page.wait_for_selector("#refusal")
    assert page.input_value("#id_scanned_subject_id") == ""
    assert page.input_value("#id_scanned_lot_id") == ""
    assert page.evaluate("document.activeElement.id") == "id_scanned_subject_id"
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "Please correct" in summary.inner_text()

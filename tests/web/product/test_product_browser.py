"""The cell product in a real browser: the cell lab records a harvest, a batch, a passage, a
lot and its QC, prepares the dose and releases it with an electronic signature; the
investigator's attempt to give it to another subject is refused on screen; given to its donor
it is recorded. Screenshots go to test-artifacts/product-*.png.

Debian's Chromium through Playwright (``executable_path``; never a downloaded browser), as in
tests/web/test_browser.py: skipped without Chromium, except under CI where it fails.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from alstrial.web.product.demo import GOOD_QC, target_cells
from alstrial.web.product.models import Administration, Lot, RefusedAttempt

CHROMIUM = os.environ.get("ALSTRIAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def page(browser_page):
    """tests/web/conftest.py's Chromium page, taller for the lot pages."""
    browser_page.set_viewport_size({"width": 1280, "height": 1000})
    browser_page.set_default_timeout(15_000)
    return browser_page


def log_in(page, url, username):
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"product-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_lab_releases_and_only_the_donor_receives(page, live_server, product_world):
    url = live_server.url
    alice, bob = product_world["alice"], product_world["bob"]
    started = timezone.now() - timedelta(days=30)

    log_in(page, url, "celllab.seoul")
    page.goto(f"{url}/product/subjects/{alice.pk}/harvest/")
    page.fill("#id_aspirated_at", started.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_volume_ml", "30")
    page.fill("#id_procedure_adverse_events", "mild pain at the aspiration site")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Harvest of")
    page.click("text=Start batch")
    page.click("main button[type=submit]")
    page.wait_for_selector("#passages")
    day0 = started.date()
    page.fill("#id_seeded_on", day0.isoformat())
    page.fill("#id_harvested_on", (day0 + timedelta(days=14)).isoformat())
    page.fill("#id_cells_seeded", "2e6")
    page.fill("#id_cells_harvested", "1.6e7")
    page.click("text=Record passage")
    page.wait_for_selector("text=Passage 1 recorded")
    assert page.inner_text("#cumulative-pd") == "3.00"  # log2(1.6e7 / 2e6) = 3
    page.check('input[name="dose_numbers"][value="1"]')
    page.click("text=Make lots")
    page.wait_for_selector("text=Lots made")
    shot(page, "batch")
    lot = Lot.objects.get(subject=alice)

    page.goto(f"{url}/product/lots/{lot.pk}/qc/")
    values = {**GOOD_QC, "viable_cells": f"{target_cells(alice):.4g}"}
    for name, value in values.items():
        selector = f"#id_{name}"
        if name in ("sterility", "mycoplasma", "karyotype"):
            page.select_option(selector, value)
        elif name == "appearance_ok":
            page.select_option(selector, "yes")
        else:
            page.fill(selector, str(value))
    page.fill("#id_cd90", "90")  # the live evaluation flags it before anything is saved
    page.locator('[data-criterion="cd90"][data-outcome="fail"]').wait_for()
    shot(page, "qc-live-evaluation")
    page.fill("#id_cd90", "97.8")
    page.locator('[data-criterion="cd90"][data-outcome="pass"]').wait_for()
    page.click("text=Save QC results")
    page.wait_for_selector("text=QC results of")
    page.click("#prepare-dose")
    page.wait_for_selector("text=Dose of")
    page.fill("#id_password", PASSWORD)
    page.click("text=Sign and release")
    page.wait_for_selector("text=released, signed by celllab.seoul")
    assert page.locator("[data-signature]").count() == 1
    shot(page, "released-lot")
    page.click("text=Label")
    label = page.inner_text("#lot-label")
    for text in (lot.code, alice.code, "FOR AUTOLOGOUS USE ONLY", "Expires"):
        assert text in label
    assert page.locator("#lot-label svg.segno").count() == 1
    shot(page, "label")

    log_in(page, url, "investigator.seoul")
    page.goto(f"{url}/product/subjects/{bob.pk}/administer/")
    page.fill("#id_scanned_subject_id", bob.code)
    page.fill("#id_scanned_lot_id", lot.code)
    page.click("main button[type=submit]")
    page.wait_for_selector("#refusal")
    assert "autologous lots go only to their donor" in page.inner_text("#refusal")
    shot(page, "refused-wrong-patient")
    assert not Administration.objects.exists()
    assert RefusedAttempt.objects.filter(subject=bob).count() == 1

    page.goto(f"{url}/product/subjects/{alice.pk}/administer/")
    page.fill("#id_scanned_subject_id", alice.code)
    page.fill("#id_scanned_lot_id", lot.code)
    page.fill("#id_immediate_reactions", "none")
    page.click("main button[type=submit]")
    page.wait_for_selector(f"text=given to {alice.code}")
    shot(page, "administered")
    assert Administration.objects.get().subject == alice
    page.goto(f"{url}/product/lots/{lot.pk}/")
    for event in ("harvest", "batch", "passage", "made", "released", "refused", "administered"):
        page.locator(f'#chain tr[data-event="{event}"]').first.wait_for()
    shot(page, "chain-of-custody")

"""The report button in a real browser, on the demo trial's dashboard: the "building" indicator
shows while the report is built, the panel is replaced by the last build with its analysed count,
and the PDF link downloads the report. Screenshot in test-artifacts/report-panel.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from alstrial.web.reports.models import ReportBuild

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_statistician_builds_the_report_from_the_dashboard(
    browser_page, live_server, settings, tmp_path
):
    from alstrial.web.core.demo import DEMO_PASSWORD, DemoContext, load_all_demo_data

    settings.ALSTRIAL_REPORTS_DIR = str(tmp_path / "reports")
    settings.ALSTRIAL_REPORT_REGISTRY = None
    load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "statistician")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/trials/kim2009/")
    page.wait_for_load_state("load")
    assert page.is_visible("[data-testid=never-built]")
    assert not page.is_visible("#report-building")

    page.click("#report-panel button[type=submit]")
    page.wait_for_selector("#report-building", state="visible")
    assert page.is_disabled("#report-panel button[type=submit]")
    page.wait_for_selector("[data-testid=last-built]", timeout=180_000)
    build = ReportBuild.objects.get()
    shown = page.inner_text("[data-testid=analysed-treated]")
    assert int(shown) == build.analysed["treated"]["n_paired"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-panel.png"), full_page=True)

    with page.expect_download() as download:
        page.click("text=Download the PDF")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

"""The report button end to end on the demo trial: the HTML and the PDF it builds
state the number of analysed subjects that the analysis engine, called directly on the
database's analysis frames, gives; the page shows it with the settings; a rebuild replaces the
files of the previous report."""

from __future__ import annotations

import io
import re
from html import escape

import pytest
from django.utils import timezone
from pypdf import PdfReader

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.settings import AnalysisSettings
from alstrial.web.reports.models import BuildStatus, ReportBuild
from alstrial.web.safety.board import trial_report_tables
from alstrial.web.trials.analysis_data import analysis_frames
from alstrial.web.trials.outputs import PRE_SLOPE

pytestmark = pytest.mark.slow

ANALYSED = re.compile(r"(\d+)\s*(?:</span>)?\s*Analysed: lead-in and follow-up slopes")


@pytest.fixture
def demo(db, settings, tmp_path):
    from alstrial.web.core.demo import DemoContext, load_all_demo_data

    settings.ALSTRIAL_REPORTS_DIR = str(tmp_path / "reports")
    settings.ALSTRIAL_REPORT_REGISTRY = None
    return load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))


def _analysed_directly(trial) -> int:
    """Treated subjects with both slopes, from the analysis engine on the database's frames."""
    declared = trial.protocol.analysis
    analysis_settings = AnalysisSettings(
        follow_up_days=declared.follow_up_days, pre_slope=PRE_SLOPE[declared.lead_in_slope]
    )
    data = AnalysisData.from_frames(*analysis_frames(trial))
    return analyse(data, analysis_settings).arms["treated"].n_paired


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_button_builds_html_and_pdf_with_the_analysed_count(client, demo, tmp_path):
    trial = demo.trials["kim2009"]
    expected = _analysed_directly(trial)
    assert expected >= 20  # the demo's 22 treated subjects followed to month 3

    # The investigator reads the full report (the statistician gets the de-identified copy:
    # test_report_deidentified.py), so the safety listings below are in it.
    client.force_login(demo.users["investigator.seoul"])
    response = client.post(f"/reports/{trial.slug}/build/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    panel = response.content.decode()
    build = ReportBuild.objects.get()
    assert build.status == BuildStatus.DONE, build.error
    assert f'<span data-testid="analysed-treated">{expected}</span>' in panel
    assert 'data-testid="analysed-control"' not in panel  # no control arm: not "0 of 0"
    assert build.settings["analysis"]["follow_up_days"] == trial.protocol.analysis.follow_up_days
    assert f"{trial.protocol.analysis.follow_up_days} days after the first administration" in panel
    assert build.settings["sites"] == ["seoul"]

    html = _content(client.get(f"/reports/{trial.slug}/report.html")).decode()
    assert [int(n) for n in ANALYSED.findall(html)] == [expected]
    # The trial's safety tables, as the safety app computes them, are in the report.
    safety = trial_report_tables(trial)
    assert safety, "the demo trial has adverse events"
    for title, table in safety.items():
        assert escape(title) in html
        for term in table.get("term", []):
            assert escape(str(term)) in html

    pdf = client.get(f"/reports/{trial.slug}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(_content(pdf))).pages)
    assert [int(n) for n in ANALYSED.findall(text)] == [expected]

    # A rebuild (from the trial's analysis page, without HTMX) replaces the previous files.
    first_folder = tmp_path / "reports" / build.folder
    assert (first_folder / "report.pdf").is_file()
    again = client.post(f"/reports/{trial.slug}/build/")
    assert again.status_code == 302
    latest = ReportBuild.objects.filter(status=BuildStatus.DONE).first()
    assert latest.pk != build.pk
    assert not first_folder.exists()
    assert (tmp_path / "reports" / latest.folder / "report.html").is_file()
    page = client.get(f"/reports/{trial.slug}/").content.decode()
    assert f'<span data-testid="analysed-treated">{expected}</span>' in page

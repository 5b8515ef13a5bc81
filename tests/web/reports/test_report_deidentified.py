"""The statistician (a de-identified reader) gets the de-identified copy of every report build,
whoever started it: no calendar dates or times, no event listings, no free text. The same scan
finds dates in the investigator's copy of the same build, so it can fail."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader
from support.deidentified import dates_in

from alstrial.web.reports.models import BuildStatus, ReportBuild
from alstrial.web.safety.models import AdverseEvent

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(db, settings, tmp_path):
    from alstrial.web.core.demo import DemoContext, load_all_demo_data

    settings.ALSTRIAL_REPORTS_DIR = str(tmp_path / "reports")
    settings.ALSTRIAL_REPORT_REGISTRY = None
    return load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))


def _download(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if url.endswith(".pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode()


def test_statistician_downloads_only_the_deidentified_copy(client, demo):
    trial = demo.trials["kim2009"]
    client.force_login(demo.users["investigator.seoul"])
    client.post(f"/reports/{trial.slug}/build/", HTTP_HX_REQUEST="true")
    build = ReportBuild.objects.get()
    assert build.status == BuildStatus.DONE, build.error
    full = {
        name: _download(client, f"/reports/{trial.slug}/{name}")
        for name in ("report.html", "report.pdf")
    }
    client.force_login(demo.users["statistician"])
    reduced = {
        name: _download(client, f"/reports/{trial.slug}/{name}")
        for name in ("report.html", "report.pdf")
    }
    uncoded = {
        ae.term
        for ae in AdverseEvent.objects.filter(subject__trial=trial, term_code="")
        if len(ae.term) > 3
    }
    for name in ("report.html", "report.pdf"):
        assert dates_in(full[name]), f"the investigator's {name} has dates: the scan works"
        assert dates_in(reduced[name]) == [], name
        assert [term for term in uncoded if term in reduced[name]] == [], name
    # Same analysis in both copies: the analysed count is there.
    assert "Analysed: lead-in and follow-up slopes" in reduced["report.html"]
    response = client.get(f"/reports/{trial.slug}/report.pdf")
    assert "deidentified" in response["Content-Disposition"]
    assert not dates_in(response["Content-Disposition"])

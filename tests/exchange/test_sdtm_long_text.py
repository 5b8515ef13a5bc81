"""Long text and failures in the SDTM export: an AE term over 200 UTF-8 bytes (90 Korean
characters) continues in SUPPAE as SDTMIG says and every format is written; a dataset that
cannot be exported is refused naming the dataset, variable and subject, and leaves nothing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pandas as pd
import pyreadstat
import pytest
from exchange_trial import build_trial_data

from alstrial.exchange import sdtm_write
from alstrial.exchange.odm import ODM_NS
from alstrial.exchange.sdtm import build_sdtm
from alstrial.exchange.sdtm_checks import check_sdtm
from alstrial.exchange.sdtm_long_text import qualifier_name, split_text
from alstrial.exchange.sdtm_write import SdtmConformanceError, write_sdtm
from alstrial.exchange.xpt import XptLimitError

#: 90 Hangul syllables, 3 UTF-8 bytes each: 270 bytes, 90 characters.
KOREAN = "".join(chr(0xAC00 + 7 * i) for i in range(90))


@pytest.fixture
def trial_data():
    data = build_trial_data()
    aes = data.frames["adverse_events"]
    aes.loc[0, "verbatim_term"] = KOREAN
    aes.loc[0, "term"] = KOREAN  # an uncoded event's term is the verbatim term
    return data


def test_split_text_cuts_between_characters_within_the_byte_limit():
    assert len(KOREAN.encode("utf-8")) == 270
    parts = split_text(KOREAN)
    # 200 // 3 = 66 characters (198 bytes) fit; the remaining 24 go on.
    assert [len(p) for p in parts] == [66, 24]
    assert "".join(parts) == KOREAN
    mixed = "a" * 199 + "é" + "b"  # é is 2 bytes: it does not fit after 199 bytes
    assert split_text(mixed) == ["a" * 199, "éb"]
    assert split_text("x" * 200) == ["x" * 200]
    assert split_text("x" * 401) == ["x" * 200, "x" * 200, "x"]
    assert qualifier_name("AETERM", 1) == "AETERM1"
    assert qualifier_name("AEDECOD", 10) == "AEDECO10"


def test_long_ae_term_continues_in_suppae(trial_data):
    datasets = build_sdtm(trial_data)
    assert check_sdtm(datasets) == []
    ae, supp = datasets["AE"], datasets["SUPPAE"]
    row = ae.loc[ae["AESPID"] == "1"].iloc[0]
    assert len(row["AETERM"].encode("utf-8")) <= 200
    parts = supp.loc[
        (supp["USUBJID"] == row["USUBJID"])
        & (supp["IDVARVAL"] == str(int(row["AESEQ"])))
        & supp["QNAM"].str.startswith("AETERM")
    ].sort_values("QNAM")
    assert list(parts["QNAM"]) == ["AETERM1"]
    assert parts["QLABEL"].iloc[0] == "Reported Term for the Adverse Event 1"
    assert row["AETERM"] + "".join(parts["QVAL"]) == KOREAN
    # the uncoded term was the verbatim one: AEDECOD is split the same way
    decod = supp.loc[supp["QNAM"] == "AEDECOD1", "QVAL"]
    assert row["AEDECOD"] + "".join(decod) == KOREAN.upper()
    # the procedure causality qualifiers are still there
    assert {"AERELLP", "AETERM1"} <= set(supp["QNAM"])


def test_every_format_is_written_with_the_long_term(trial_data, tmp_path):
    out = tmp_path / "sdtm"
    write_sdtm(trial_data, out, xpt=True)
    ae_xpt, _ = pyreadstat.read_xport(out / "ae.xpt", encoding="utf-8")
    supp_xpt, _ = pyreadstat.read_xport(out / "suppae.xpt", encoding="utf-8")
    first = ae_xpt.loc[ae_xpt["AESPID"] == "1", "AETERM"].iloc[0]
    rest = supp_xpt.loc[supp_xpt["QNAM"] == "AETERM1", "QVAL"].iloc[0]
    assert first + rest == KOREAN
    ae_csv = pd.read_csv(out / "ae.csv", dtype=str, keep_default_na=False)
    assert ae_csv.loc[ae_csv["AESPID"] == "1", "AETERM"].iloc[0] == first
    ae_json = json.loads((out / "suppae.json").read_text(encoding="utf-8"))
    names = [c["name"] for c in ae_json["columns"]]
    # AETERM1 and AEDECOD1 (the uncoded term is the verbatim one)
    assert [r[names.index("QVAL")] for r in ae_json["rows"]].count(rest) == 2
    assert not [p for p in tmp_path.iterdir() if p.name != "sdtm"]  # no temporary leftovers
    # define.xml gives the XPT length in bytes: 66 Korean characters are 198 bytes
    define = ET.parse(out / "define.xml").getroot()
    lengths = {
        item.get("OID"): int(item.get("Length"))
        for item in define.iter(f"{{{ODM_NS}}}ItemDef")
        if item.get("Length")
    }
    assert lengths["IT.AE.AETERM"] == len(first.encode("utf-8")) == 198
    # the qualifier names list AETERM1; QVAL no longer claims the causality code list
    assert (
        code_list(define, "CL.QNAM_ALSTRIAL")["AETERM1"] == "Reported Term for the Adverse Event 1"
    )
    assert code_list_refs(define)["IT.SUPPAE.QVAL"] is None
    assert code_list_refs(define)["IT.AE.AEREL"] == "CL.REL_ALSTRIAL"


def code_list(define: ET.Element, oid: str) -> dict[str, str]:
    """Coded value -> decode of the code list ``oid``."""
    found = next(c for c in define.iter(f"{{{ODM_NS}}}CodeList") if c.get("OID") == oid)
    return {
        item.get("CodedValue"): "".join(item.itertext()).strip()
        for item in found.iter(f"{{{ODM_NS}}}CodeListItem")
    }


def code_list_refs(define: ET.Element) -> dict[str, str | None]:
    refs = {}
    for item in define.iter(f"{{{ODM_NS}}}ItemDef"):
        ref = item.find(f"{{{ODM_NS}}}CodeListRef")
        refs[item.get("OID")] = None if ref is None else ref.get("CodeListOID")
    return refs


def test_without_long_text_qval_keeps_its_code_list(tmp_path):
    write_sdtm(build_trial_data(), tmp_path)
    define = ET.parse(tmp_path / "define.xml").getroot()
    assert code_list_refs(define)["IT.SUPPAE.QVAL"] == "CL.REL_ALSTRIAL"
    assert "AETERM1" not in code_list(define, "CL.QNAM_ALSTRIAL")


def test_long_text_elsewhere_is_refused_naming_dataset_variable_subject(trial_data, tmp_path):
    admins = trial_data.frames["administrations"]
    admins.loc[0, "lot_code"] = KOREAN
    subject = admins.loc[0, "subject_id"]
    out = tmp_path / "new" / "sdtm"
    with pytest.raises(SdtmConformanceError) as error:
        write_sdtm(trial_data, out, xpt=True)
    assert "EX.EXLOT" in str(error.value)
    assert f"KIM2009-{subject}" in str(error.value)
    assert "270 bytes" in str(error.value)
    assert not (tmp_path / "new").exists()


def test_a_failure_half_way_leaves_nothing_and_keeps_an_older_export(
    trial_data, tmp_path, monkeypatch
):
    out = tmp_path / "sdtm"
    write_sdtm(build_trial_data(), out, xpt=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = sdtm_write.write_xpt

    def fail_on_qs(domain, frame, path):
        if domain == "QS":
            raise XptLimitError("QS.QSORRES: subject KIM2009-SEO-0001-X: simulated failure")
        return real(domain, frame, path)

    monkeypatch.setattr(sdtm_write, "write_xpt", fail_on_qs)
    with pytest.raises(SdtmConformanceError, match=r"QS\.QSORRES: subject KIM2009-SEO-0001-X"):
        write_sdtm(trial_data, out, xpt=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["sdtm"]
    with pytest.raises(SdtmConformanceError):
        write_sdtm(trial_data, tmp_path / "fresh", xpt=True)
    assert not (tmp_path / "fresh").exists()

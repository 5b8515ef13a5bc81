"""SDTM datasets from a hand-built trial: study days without day 0, epochs from the protocol
phases, --SEQ, QS items and totals, EX doses, XPT files read back by pyreadstat with their
labels and types, and the conformance checks catching broken datasets."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pyreadstat
import pytest
from exchange_trial import CELLS, DAY_ZERO, LOSSES, build_trial_data

from alstrial.exchange.define_xml import validate_define
from alstrial.exchange.sdtm import build_sdtm, study_day
from alstrial.exchange.sdtm_checks import check_sdtm
from alstrial.exchange.sdtm_spec import DATASETS, QS_TESTS
from alstrial.exchange.sdtm_write import SdtmConformanceError, write_sdtm
from alstrial.exchange.xpt import XptLimitError, write_xpt


@pytest.fixture
def trial_data():
    return build_trial_data()


def test_study_day_has_no_day_zero():
    zero = DAY_ZERO["SEO-0001-X"]
    assert study_day(zero, zero) == 1
    assert study_day(zero - timedelta(days=1), zero) == -1
    assert study_day(zero + timedelta(days=26), zero) == 27
    assert pd.isna(study_day(None, zero))


def test_datasets_pass_the_checks(trial_data):
    datasets = build_sdtm(trial_data)
    assert check_sdtm(datasets) == []
    assert set(datasets) == {"DM", "AE", "SUPPAE", "EX", "PR", "QS", "VS", "CM", "DS"}


def test_cm_prespecified_als_treatments(trial_data):
    cm = build_sdtm(trial_data)["CM"]
    conmed = trial_data.conmed
    assert len(cm) == 2 * len(conmed) > 0
    assert set(cm["CMPRESP"]) == {"Y"}
    riluzole = cm[cm["CMTRT"] == "RILUZOLE"]
    assert set(riluzole["CMOCCUR"]) == {"Y"}
    assert set(cm.loc[cm["CMTRT"] == "EDARAVONE", "CMOCCUR"]) == {"N"}
    assert riluzole["CMDTC"].tolist() == [d.isoformat() for d in conmed["visit_date"]]


def test_suppae_carries_procedure_causality(trial_data):
    datasets = build_sdtm(trial_data)
    supp, ae = datasets["SUPPAE"], datasets["AE"]
    assert len(supp) == len(ae)  # one assessed procedure (lumbar puncture) per event
    assert set(supp["QNAM"]) == {"AERELLP"}
    assert set(supp["QVAL"]) == {"PROBABLE"}
    assert set(ae["AEREL"]) == {"UNLIKELY"}
    parents = set(zip(ae["USUBJID"], ae["AESEQ"].astype(int).astype(str), strict=True))
    assert set(zip(supp["USUBJID"], supp["IDVARVAL"], strict=True)) == parents
    supp.loc[0, "IDVARVAL"] = "99"
    assert any("has no parent" in p for p in check_sdtm(datasets))


def test_dm_reference_start_and_arms(trial_data):
    dm = build_sdtm(trial_data)["DM"].set_index("SUBJID")
    assert dm.loc["SEO-0001-X", "USUBJID"] == "KIM2009-SEO-0001-X"
    assert dm.loc["SEO-0001-X", "RFSTDTC"] == "2025-03-10"
    assert dm.loc["SEO-0001-X", "RFXSTDTC"] == "2025-03-10T09:30"
    assert dm.loc["SEO-0001-X", "RFXENDTC"] == "2025-04-05T09:30"  # day 26
    assert dm.loc["SEO-0001-X", "ARMCD"] == dm.loc["SEO-0001-X", "ACTARMCD"] == "MSC"
    assert dm.loc["SEO-0001-X", "ARMNRS"] == ""
    assert dm.loc["SEO-0001-X", "RFENDTC"] == "2025-04-05T09:30"  # the last dose
    # SDTMIG 3.4: a screen failure has no arm; the reason is in ARMNRS.
    failure = dm.loc["SEO-0003-Z"]
    assert (failure["ARMCD"], failure["ARM"], failure["ACTARMCD"], failure["ACTARM"]) == ("",) * 4
    assert failure["ARMNRS"] == "SCREEN FAILURE"
    assert failure["RFSTDTC"] == failure["RFENDTC"] == ""
    assert failure["RFPENDTC"] == "2025-01-06"  # screening, the last contact


def test_qs_items_and_totals_by_hand(trial_data):
    qs = build_sdtm(trial_data)["QS"]
    totals = qs[qs["QSTESTCD"] == "ALSRTOT"]
    assert len(totals) == 2 * len(LOSSES)
    assert (totals["QSDRVFL"] == "Y").all()
    by_visit = totals[totals["USUBJID"] == "KIM2009-SEO-0001-X"].set_index("VISIT")["QSSTRESN"]
    assert by_visit["First intrathecal injection (baseline)"] == 48 - LOSSES["INJ1"]
    assert by_visit["Month 3 (end of follow-up)"] == 48 - LOSSES["FU3"]
    # Twelve items per visit (5b not scored, so absent), plus the total.
    per_visit = qs.groupby(["USUBJID", "VISITNUM"]).size()
    assert (per_visit == 13).all()
    assert "ALSR05B" not in set(qs["QSTESTCD"])
    items = qs[qs["QSTESTCD"] != "ALSRTOT"]
    sums = items.groupby(["USUBJID", "VISITNUM"])["QSSTRESN"].sum()
    assert sums.to_dict() == totals.set_index(["USUBJID", "VISITNUM"])["QSSTRESN"].to_dict()
    assert set(qs["QSCAT"]) == {"ALSFRS-R"}
    assert qs["QSTESTCD"].str.len().max() <= 8
    assert {code for code, _, _ in QS_TESTS.values()} >= set(items["QSTESTCD"])


def test_epochs_and_days(trial_data):
    datasets = build_sdtm(trial_data)
    qs = datasets["QS"]
    first = qs[(qs["USUBJID"] == "KIM2009-SEO-0001-X") & (qs["QSTESTCD"] == "ALSRTOT")]
    assert first.set_index("VISITNUM")["EPOCH"].tolist() == [
        "SCREENING",
        "RUN-IN",
        "RUN-IN",
        "RUN-IN",
        "TREATMENT",
        "TREATMENT",
        "FOLLOW-UP",
        "FOLLOW-UP",
    ]
    assert first["QSDY"].tolist() == [-105, -91, -61, -28, 1, 27, 62, 92]
    ae = datasets["AE"].set_index(["USUBJID", "AESPID"])
    assert ae.loc[("KIM2009-SEO-0001-X", "1"), "AESTDY"] == -1
    assert ae.loc[("KIM2009-SEO-0001-X", "1"), "EPOCH"] == "RUN-IN"  # day -1: after HARV2
    assert ae.loc[("KIM2009-SEO-0001-X", "2"), "AESTDY"] == 1
    assert ae.loc[("KIM2009-SEO-0001-X", "2"), "EPOCH"] == "TREATMENT"


def test_ex_doses_route_and_seq(trial_data):
    ex = build_sdtm(trial_data)["EX"]
    assert len(ex) == 4
    assert set(ex["EXROUTE"]) == {"INTRATHECAL"}
    assert sorted(ex["EXDOSE"]) == sorted([CELLS[1], CELLS[2]] * 2)
    assert ex.groupby("USUBJID")["EXSEQ"].apply(list).tolist() == [[1, 2], [1, 2]]
    pr = build_sdtm(trial_data)["PR"]
    assert (pr["PRTRT"] == "LUMBAR PUNCTURE").sum() == 4


@pytest.mark.parametrize(
    ("domain", "column", "value", "expected"),
    [
        ("QS", "QSDY", 0.0, "study day 0"),
        ("QS", "QSDTC", "10/03/2025", "not ISO 8601"),
        ("AE", "AESEQ", 1.0, "not unique"),
        ("QS", "QSTESTCD", "ALSFRS99", "sponsor codelist"),
        ("VS", "EPOCH", "LEAD-IN", "not a protocol epoch"),
        ("EX", "USUBJID", "", "required but empty"),
        ("QS", "QSDY", 5.0, "disagrees with QSDTC"),
    ],
)
def test_checks_catch_broken_datasets(trial_data, domain, column, value, expected):
    datasets = build_sdtm(trial_data)
    datasets[domain].loc[:, column] = value
    problems = check_sdtm(datasets)
    assert any(expected in p for p in problems), problems


def test_xpt_files_read_back_with_labels_and_types(trial_data, tmp_path):
    written = write_sdtm(trial_data, tmp_path, xpt=True)
    names = {p.name for p in written}
    assert {"dm.xpt", "qs.xpt", "dm.csv", "define.json"} <= names
    for domain, (label, variables) in DATASETS.items():
        _, meta = pyreadstat.read_xport(tmp_path / f"{domain.lower()}.xpt")
        assert meta.table_name == domain
        assert meta.file_label == label
        assert meta.column_names == [v.name for v in variables]
        assert meta.column_labels == [v.label for v in variables]
        for v in variables:
            kind = meta.readstat_variable_types[v.name]
            assert kind == ("double" if v.type == "Num" else "string"), (domain, v.name)
    qs, _ = pyreadstat.read_xport(tmp_path / "qs.xpt")
    csv = pd.read_csv(tmp_path / "qs.csv")
    assert qs["QSSTRESN"].tolist() == csv["QSSTRESN"].astype(float).tolist()
    assert validate_define(tmp_path / "define.xml") == []
    define_xml = (tmp_path / "define.xml").read_text()
    for domain in DATASETS:
        assert f'xlink:href="{domain.lower()}.xpt"' in define_xml
        assert (tmp_path / f"{domain.lower()}.xpt").exists()
    assert 'Name="C38267"' in define_xml  # INTRATHECAL
    for code in set(qs_codes := pd.read_csv(tmp_path / "qs.csv")["QSTESTCD"]):
        assert f'<def:WhereClauseDef OID="WC.QS.QSTESTCD.{code}">' in define_xml
        assert f'<ItemDef OID="IT.QS.QSORRES.{code}"' in define_xml
    assert "ALSRTOT" in set(qs_codes)
    assert 'MethodOID="MT.QS.ALSRTOT"' in define_xml
    for code in set(pd.read_csv(tmp_path / "vs.csv")["VSTESTCD"]):
        assert f'<def:WhereClauseDef OID="WC.VS.VSTESTCD.{code}">' in define_xml
    assert '<def:ValueListRef ValueListOID="VL.VS.VSORRES" />' in define_xml
    define = json.loads((tmp_path / "define.json").read_text())
    codelist = define["codelists"]["QSTESTCD_ALSFRSR"]
    assert codelist["sponsor_defined"] is True
    assert set(qs["QSTESTCD"]) <= set(codelist["terms"])


def test_define_keeps_its_prefixes_whatever_another_library_registered(trial_data, tmp_path):
    """ElementTree's prefix registry is global: a library that registers another namespace
    under the default prefix, or ours under another prefix, must not rename our elements."""
    import xml.etree.ElementTree as ET

    from alstrial.exchange.define_xml import DEF_NS
    from alstrial.exchange.odm import ODM_NS

    ET.register_namespace("", "http://www.w3.org/2001/XMLSchema")  # drops ODM's default entry
    ET.register_namespace("other", DEF_NS)
    try:
        write_sdtm(trial_data, tmp_path)
    finally:
        ET.register_namespace("", ODM_NS)
    define_xml = (tmp_path / "define.xml").read_text()
    assert "ns0:" not in define_xml
    assert "<ODM " in define_xml
    assert "<def:ValueListDef" in define_xml
    assert validate_define(tmp_path / "define.xml") == []


def test_xpt_refuses_values_over_200_bytes(trial_data, tmp_path):
    ae = build_sdtm(trial_data)["AE"]
    ae.loc[0, "AETERM"] = "x" * 201
    with pytest.raises(XptLimitError, match=r"AE\.AETERM"):
        write_xpt("AE", ae, tmp_path / "ae.xpt")


def test_nothing_written_when_checks_fail(trial_data, tmp_path):
    trial_data.frames["visits"].loc[0, "epoch"] = "LEAD-IN"
    with pytest.raises(SdtmConformanceError, match="EPOCH"):
        write_sdtm(trial_data, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_ds_milestones_and_uncoded_withdrawal(trial_data):
    subjects = trial_data.frames["subjects"]
    row = subjects.index[subjects["subject_id"] == "SEO-0002-Y"][0]
    subjects.loc[row, "status"] = "withdrawn"
    subjects["withdrawal_date"] = subjects["withdrawal_date"].astype(object)
    subjects.loc[row, "withdrawal_date"] = DAY_ZERO["SEO-0002-Y"] + timedelta(days=40)
    ds = build_sdtm(trial_data)["DS"].set_index(["USUBJID", "DSDECOD"])
    withdrawn = ds.loc[("KIM2009-SEO-0002-Y", "OTHER")]
    assert withdrawn["DSTERM"] == "WITHDRAWN (REASON NOT CODED)"
    assert withdrawn["DSSTDY"] == 41
    assert withdrawn["EPOCH"] == "TREATMENT"  # after INJ2 (day 26), before FU2 (day 61)
    assert ("KIM2009-SEO-0003-Z", "SCREEN FAILURE") in ds.index
    assert ("KIM2009-SEO-0001-X", "INFORMED CONSENT OBTAINED") in ds.index

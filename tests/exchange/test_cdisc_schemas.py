"""The SDTM export against the schemas a reviewer's validator uses: Define-XML 2.1 (CDISC's
XSDs, shipped in src/alstrial/exchange/schemas/define/2.1) and Dataset-JSON 1.1 (CDISC's JSON
schema, checked in beside this test), with the cross-references between them; the XPT files
read back by two independent readers (pyreadstat and pandas.read_sas)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pandas as pd
import pyreadstat
import pytest
from exchange_trial import build_trial_data

from alstrial.exchange.define_xml import DEF_NS, validate_define
from alstrial.exchange.odm import ODM_NS
from alstrial.exchange.sdtm_spec import DATASETS
from alstrial.exchange.sdtm_write import write_sdtm
from alstrial.exchange.terminology import CT_VERSION

SCHEMAS = Path(__file__).parent / "schemas"
DATASET_JSON_SCHEMA = SCHEMAS / "dataset-json" / "1.1" / "dataset.schema.json"
ODM = f"{{{ODM_NS}}}"
DEF = f"{{{DEF_NS}}}"


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sdtm")
    write_sdtm(build_trial_data(), out, xpt=True)
    return out


def _define(export: Path) -> ET.Element:
    return ET.parse(export / "define.xml").getroot()


def test_define_is_define_xml_2_1(export):
    assert validate_define(export / "define.xml") == []
    root = _define(export)
    assert root.get(f"{DEF}Context") == "Submission"
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    assert mdv.get(f"{DEF}DefineVersion") == "2.1.0"
    standards = {s.get("OID"): s.attrib for s in mdv.iter(f"{DEF}Standard")}
    assert {(s["Name"], s["Type"], s["Version"]) for s in standards.values()} == {
        ("SDTMIG", "IG", "3.4"),
        ("CDISC/NCI", "CT", CT_VERSION),
    }
    # Every reference to a standard, a comment or a code list points at a definition.
    comments = {c.get("OID") for c in mdv.iter(f"{DEF}CommentDef")}
    code_lists = {c.get("OID"): c for c in mdv.iter(f"{ODM}CodeList")}
    for element in mdv.iter():
        if element.get(f"{DEF}StandardOID"):
            assert element.get(f"{DEF}StandardOID") in standards
        if element.get(f"{DEF}CommentOID"):
            assert element.get(f"{DEF}CommentOID") in comments
        if element.tag == f"{ODM}CodeListRef":
            assert element.get("CodeListOID") in code_lists
    for group in mdv.iter(f"{ODM}ItemGroupDef"):
        assert group.get(f"{DEF}StandardOID") in standards
        assert group.find(f"{DEF}Class").get("Name") in {
            "SPECIAL PURPOSE",
            "EVENTS",
            "INTERVENTIONS",
            "FINDINGS",
            "RELATIONSHIP",
        }
    origins = {o.get("Type") for o in mdv.iter(f"{DEF}Origin")}
    assert "CRF" not in origins
    assert "Collected" in origins


def test_define_code_lists_declare_their_terminology(export):
    mdv = _define(export).find(f"{ODM}Study/{ODM}MetaDataVersion")
    code_lists = {c.get("Name"): c for c in mdv.iter(f"{ODM}CodeList")}
    route = code_lists["ROUTE"]
    assert route.get(f"{DEF}StandardOID") == f"STD.CT.SDTM.{CT_VERSION}"
    assert route.find(f"{ODM}Alias").get("Name") == "C66729"
    # EXDOSU CELLS is a sponsor extension of the CDISC UNIT list, not a list of its own.
    unit = code_lists["UNIT"]
    cells = [e for e in unit if e.get("CodedValue") == "CELLS"]
    assert len(cells) == 1
    assert cells[0].get(f"{DEF}ExtendedValue") == "Yes"
    assert "UNIT_ALSTRIAL" not in code_lists
    # A sponsor-defined list is not tied to CDISC CT; why it exists is a def:CommentDef.
    alsfrs = code_lists["QSTESTCD_ALSFRSR"]
    assert alsfrs.get(f"{DEF}StandardOID") is None
    comment = next(
        c for c in mdv.iter(f"{DEF}CommentDef") if c.get("OID") == alsfrs.get(f"{DEF}CommentOID")
    )
    assert "no CDISC terminology" in "".join(comment.itertext())


def test_schema_refuses_a_define_without_its_context(export, tmp_path):
    text = (export / "define.xml").read_text(encoding="utf-8")
    broken = tmp_path / "define.xml"
    broken.write_text(text.replace(' def:Context="Submission"', ""), encoding="utf-8")
    assert text != broken.read_text(encoding="utf-8")
    assert validate_define(broken) != []


def _dataset_json_validator():
    schema = json.loads(DATASET_JSON_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(schema)


@pytest.mark.parametrize("domain", sorted(DATASETS))
def test_dataset_json_is_valid_and_refers_to_define_xml(export, domain):
    document = json.loads((export / f"{domain.lower()}.json").read_text(encoding="utf-8"))
    errors = [e.message for e in _dataset_json_validator().iter_errors(document)]
    assert errors == []
    assert document["metaDataRef"] == "define.xml"
    root = _define(export)
    study = root.find(f"{ODM}Study")
    mdv = study.find(f"{ODM}MetaDataVersion")
    assert document["studyOID"] == study.get("OID")
    assert document["metaDataVersionOID"] == mdv.get("OID")
    groups = {g.get("OID") for g in mdv.iter(f"{ODM}ItemGroupDef")}
    items = {i.get("OID") for i in mdv.iter(f"{ODM}ItemDef")}
    assert document["itemGroupOID"] in groups
    assert {c["itemOID"] for c in document["columns"]} <= items


def test_dataset_json_schema_refuses_a_broken_file(export):
    document = json.loads((export / "dm.json").read_text(encoding="utf-8"))
    document["columns"][0]["dataType"] = "text"  # not one of the schema's data types
    del document["label"]
    errors = list(_dataset_json_validator().iter_errors(document))
    assert len(errors) == 2


@pytest.mark.parametrize("domain", sorted(DATASETS))
def test_xpt_read_back_by_two_readers_agree(export, domain):
    path = export / f"{domain.lower()}.xpt"
    by_readstat, meta = pyreadstat.read_xport(path)
    by_pandas = pd.read_sas(path, format="xport", encoding="utf-8")
    assert list(by_pandas.columns) == meta.column_names == [v.name for v in DATASETS[domain][1]]
    assert len(by_pandas) == len(by_readstat)
    for variable in DATASETS[domain][1]:
        a, b = by_readstat[variable.name], by_pandas[variable.name]
        if variable.type == "Num":
            pd.testing.assert_series_equal(
                a.astype(float), b.astype(float), check_names=False, check_exact=False
            )
        else:
            # pandas reads an empty character value as an empty string; pyreadstat too.
            assert a.fillna("").tolist() == b.fillna("").tolist(), (domain, variable.name)

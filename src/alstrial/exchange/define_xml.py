"""define.xml (Define-XML 2.1.0) for the SDTM export, validated against the shipped schema.

The same metadata as ``define.json`` (``define.define_metadata``): def:Context "Submission" on
the ODM root; def:Standards declaring SDTMIG 3.4 and the one dated CDISC SDTM Controlled
Terminology release (``terminology.CT_VERSION``); one ItemGroupDef per dataset (Purpose
Tabulation, def:Structure, def:StandardOID, the def:Class element, keys as KeySequence, a
def:leaf pointing at the ``.xpt`` file), one ItemDef per variable (data type, length from the
data, SAS name, def:Origin as Define-XML 2.1 names origins, CodeListRef) and the code lists (a
CDISC list carries def:StandardOID of the CT release; a sponsor term in it is
def:ExtendedValue="Yes"; a sponsor-defined list says why in a def:CommentDef). Sponsor-defined
lists (the ALSFRS-R test codes) carry their decodes; for CDISC lists whose terms alstrial does
not ship, the list holds the terms used in the data (EnumeratedItem), with the NCI codes of
``terminology`` (INTRATHECAL, C38267). QS and VS have value-level metadata (``define_vlm``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from alstrial.exchange.define import codelists, define_metadata
from alstrial.exchange.define_standards import (
    CT_OID,
    DEF_NS,
    DEFINE_VERSION,
    IG_OID,
    add_comment,
    add_standards,
    origin_attributes,
)
from alstrial.exchange.define_vlm import (
    add_value_code_list_and_method,
    add_value_items,
    add_value_lists,
    value_list_oid,
)
from alstrial.exchange.odm import ODM_NS, XML_LANG, oid, serialise
from alstrial.exchange.sdtm_long_text import utf8_length
from alstrial.exchange.terminology import is_extended

XLINK_NS = "http://www.w3.org/1999/xlink"
SCHEMA = Path(__file__).with_name("schemas") / "define" / "2.1" / "define2-1-0.xsd"


def _odm(parent, name, text=None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ODM_NS}}}{name}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _def(name: str) -> str:
    return f"{{{DEF_NS}}}{name}"


def _description(parent, text: str) -> None:
    holder = _odm(parent, "Description")
    _odm(holder, "TranslatedText", text).set(XML_LANG, "en")


def _data_type(name: str, type_: str) -> str:
    if type_ == "Num":
        return "integer" if name.endswith(("SEQ", "DY")) else "float"
    return "datetime" if name.endswith("DTC") else "text"


def _length(values: pd.Series, data_type: str) -> int | None:
    """The longest value; text in UTF-8 bytes, as the XPT files the define describes count it
    (66 Korean characters are 198 bytes)."""
    if data_type not in ("text", "integer", "float"):
        return None
    texts = values.dropna().map(lambda v: f"{v:g}" if isinstance(v, float) else str(v))
    if texts.empty:
        # A column with no value at all (EXDOSE of a blinded export): an empty float series
        # has no .str accessor.
        return 1
    lengths = texts.map(utf8_length) if data_type == "text" else texts.str.len()
    return max(1, int(lengths.max()))


def build_define_xml(
    datasets: dict[str, pd.DataFrame], study_id: str, title: str, created: datetime | None = None
) -> bytes:
    created = created or datetime.now(UTC)
    counts = {name: len(frame) for name, frame in datasets.items()}
    meta = define_metadata(study_id, title, counts)
    root = ET.Element(
        f"{{{ODM_NS}}}ODM",
        {
            "FileType": "Snapshot",
            "FileOID": oid("DEF", study_id, created.strftime("%Y%m%dT%H%M%S")),
            "CreationDateTime": created.isoformat(timespec="seconds"),
            "ODMVersion": "1.3.2",
            "Originator": "alstrial",
            "SourceSystem": "alstrial",
            _def("Context"): "Submission",
        },
    )
    study = _odm(root, "Study", OID=oid("ST", study_id))
    globals_ = _odm(study, "GlobalVariables")
    _odm(globals_, "StudyName", study_id)
    _odm(globals_, "StudyDescription", title)
    _odm(globals_, "ProtocolName", study_id)
    mdv = _odm(
        study,
        "MetaDataVersion",
        OID="MDV.SDTM",
        Name=f"{study_id} SDTM",
        **{_def("DefineVersion"): DEFINE_VERSION},
    )
    add_standards(mdv)
    value_level = add_value_lists(mdv, datasets)
    used_lists: dict[str, set[str]] = {}
    items = []
    for dataset in meta["datasets"]:
        name = dataset["name"]
        frame = datasets[name]
        group = _odm(
            mdv,
            "ItemGroupDef",
            OID=f"IG.{name}",
            Name=name,
            Repeating="No" if name == "DM" else "Yes",
            IsReferenceData="No",
            SASDatasetName=name,
            Domain=name[4:] if name.startswith("SUPP") else name,
            Purpose="Tabulation",
            **{
                _def("Structure"): dataset["structure"],
                _def("ArchiveLocationID"): f"LF.{name}",
                _def("StandardOID"): IG_OID,
            },
        )
        _description(group, dataset["label"])
        for order, variable in enumerate(dataset["variables"], start=1):
            attrs = {
                "ItemOID": f"IT.{name}.{variable['name']}",
                "OrderNumber": order,
                "Mandatory": "Yes" if variable["core"] == "Req" else "No",
            }
            if variable["name"] in dataset["keys"]:
                attrs["KeySequence"] = dataset["keys"].index(variable["name"]) + 1
            _odm(group, "ItemRef", **attrs)
            items.append((name, variable, frame[variable["name"]]))
            if variable["codelist"]:
                used_lists.setdefault(variable["codelist"], set()).update(
                    v for v in frame[variable["name"]] if isinstance(v, str) and v
                )
        ET.SubElement(group, _def("Class"), {"Name": dataset["class"].upper()})
        leaf = ET.SubElement(
            group, _def("leaf"), {"ID": f"LF.{name}", f"{{{XLINK_NS}}}href": dataset["file"]}
        )
        ET.SubElement(leaf, _def("title")).text = dataset["file"]
    known = _with_long_text_qualifiers(codelists(), datasets)
    # A code list must hold at least one term (ODM): one with no terms and no value used is
    # left out, and so is the reference to it.
    used_lists = {
        name: values
        for name, values in used_lists.items()
        if values or known.get(name, {}).get("terms")
    }
    for name, variable, values in items:
        data_type = _data_type(variable["name"], variable["type"])
        attrs = {
            "OID": f"IT.{name}.{variable['name']}",
            "Name": variable["name"],
            "DataType": data_type,
            "SASFieldName": variable["name"],
        }
        length = _length(values, data_type)
        if length is not None:
            attrs["Length"] = length
        item = _odm(mdv, "ItemDef", **attrs)
        _description(item, variable["label"])
        if variable["codelist"] in used_lists and _within(values, known, variable["codelist"]):
            _odm(item, "CodeListRef", CodeListOID=f"CL.{variable['codelist']}")
        ET.SubElement(item, _def("Origin"), origin_attributes(variable["origin"]))
        if name in value_level and variable["name"] == f"{name}ORRES":
            ET.SubElement(item, _def("ValueListRef"), {"ValueListOID": value_list_oid(name)})
    add_value_items(mdv, datasets)
    _code_lists(mdv, used_lists, known)
    add_value_code_list_and_method(mdv, datasets)
    _code_list_comments(mdv, used_lists, known)
    return serialise(root, {"def": DEF_NS, "xlink": XLINK_NS})


def _with_long_text_qualifiers(known: dict, datasets: dict[str, pd.DataFrame]) -> dict:
    """The qualifier-name code list with the long-text parts the data hold (``AETERM1``...,
    ``sdtm_long_text``), each decoded by its label."""
    supp = datasets.get("SUPPAE")
    if supp is None or supp.empty:
        return known
    terms = dict(known["QNAM_ALSTRIAL"]["terms"])
    for qnam, qlabel in zip(supp["QNAM"], supp["QLABEL"], strict=True):
        terms.setdefault(qnam, qlabel)
    return {**known, "QNAM_ALSTRIAL": {**known["QNAM_ALSTRIAL"], "terms": terms}}


def _within(values: pd.Series, known: dict, name: str) -> bool:
    """A variable refers to a code list with terms only when every value it holds is a term
    (SUPPAE.QVAL holds causalities and, for long text, the text's continuation)."""
    terms = known.get(name, {}).get("terms")
    return not terms or set(v for v in values if isinstance(v, str) and v) <= set(terms)


def _code_lists(mdv, used_lists: dict[str, set[str]], known: dict) -> None:
    for name in sorted(used_lists):
        spec = known.get(name, {"sponsor_defined": False, "terms": {}})
        attrs = {"OID": f"CL.{name}", "Name": name, "DataType": "text"}
        if spec["sponsor_defined"]:
            if spec.get("description"):
                attrs[_def("CommentOID")] = f"COM.CL.{name}"
        else:
            attrs[_def("StandardOID")] = CT_OID
        code_list = _odm(mdv, "CodeList", **attrs)
        if spec["terms"]:
            codes = spec.get("nci_term_codes", {})
            for order, (value, decode) in enumerate(spec["terms"].items(), start=1):
                entry = _odm(code_list, "CodeListItem", CodedValue=value, OrderNumber=order)
                _mark_extended(entry, name, value)
                decoded = _odm(entry, "Decode")
                _odm(decoded, "TranslatedText", decode).set(XML_LANG, "en")
                if value in codes:
                    _odm(entry, "Alias", Context="nci:ExtCodeID", Name=codes[value])
        else:
            for order, value in enumerate(sorted(used_lists[name]), start=1):
                entry = _odm(code_list, "EnumeratedItem", CodedValue=value, OrderNumber=order)
                _mark_extended(entry, name, value)
        if "nci_code" in spec:
            _odm(code_list, "Alias", Context="nci:ExtCodeID", Name=spec["nci_code"])


def _mark_extended(entry: ET.Element, codelist: str, value: str) -> None:
    if is_extended(codelist, value):
        entry.set(_def("ExtendedValue"), "Yes")


def _code_list_comments(mdv, used_lists: dict[str, set[str]], known: dict) -> None:
    """def:CommentDef for each sponsor-defined code list that says why it is one."""
    for name in sorted(used_lists):
        spec = known.get(name, {})
        if spec.get("sponsor_defined") and spec.get("description"):
            add_comment(mdv, f"COM.CL.{name}", spec["description"])


def validate_define(source: bytes | str | Path) -> list[str]:
    """Problems found by the Define-XML 2.1 schema (empty = valid); no network access."""
    # xmlschema (about 0.15 s to import) loads only when a document is validated.
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMA))
    document = source.decode("utf-8") if isinstance(source, bytes) else str(source)
    return [str(error.reason or error) for error in schema.iter_errors(document)][:50]

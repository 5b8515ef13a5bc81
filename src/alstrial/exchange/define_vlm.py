"""Value-level metadata of define.xml for QS: what QSORRES holds for each ALSFRS-R test.

For every QSTESTCD in the data: a def:WhereClauseDef (QSTESTCD EQ the code), an ItemRef in the
def:ValueListDef of QSORRES, and an ItemDef (integer; the item score 0-4 with its code list,
origin CRF; or the total 0-48, origin Derived with the MethodDef "sum of the twelve item
scores", DOMAIN.md section 2).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from alstrial.exchange.odm import ODM_NS, XML_LANG
from alstrial.exchange.sdtm_spec import QS_TESTS, QS_TOTAL

DEF_NS = "http://www.cdisc.org/ns/def/v2.0"
VALUE_LIST = "VL.QS.QSORRES"
SCORE_LIST = "CL.ALSFRSR_ITEM_SCORE"
TOTAL_METHOD = "MT.QS.ALSRTOT"
NAMES = {code: name for code, name, _ in QS_TESTS.values()} | {QS_TOTAL[0]: QS_TOTAL[1]}


def _odm(parent, name, text=None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ODM_NS}}}{name}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _def(parent, name, **attrs) -> ET.Element:
    return ET.SubElement(parent, f"{{{DEF_NS}}}{name}", {k: str(v) for k, v in attrs.items()})


def _text(parent, name: str, text: str) -> None:
    _odm(_odm(parent, name), "TranslatedText", text).set(XML_LANG, "en")


def qs_codes(qs: pd.DataFrame) -> list[str]:
    """The QS test codes present, in questionnaire order."""
    present = set(qs["QSTESTCD"])
    return [code for code in NAMES if code in present]


def add_value_lists(mdv: ET.Element, qs: pd.DataFrame) -> bool:
    """ValueListDef and WhereClauseDefs (first children of MetaDataVersion); False if no QS."""
    codes = qs_codes(qs)
    if not codes:
        return False
    value_list = _def(mdv, "ValueListDef", OID=VALUE_LIST)
    for order, code in enumerate(codes, start=1):
        attrs = {"ItemOID": f"IT.QS.QSORRES.{code}", "OrderNumber": order, "Mandatory": "No"}
        if code == QS_TOTAL[0]:
            attrs["MethodOID"] = TOTAL_METHOD
        item_ref = _odm(value_list, "ItemRef", **attrs)
        _def(item_ref, "WhereClauseRef", WhereClauseOID=f"WC.QS.QSTESTCD.{code}")
    for code in codes:
        clause = _def(mdv, "WhereClauseDef", OID=f"WC.QS.QSTESTCD.{code}")
        check = _odm(
            clause,
            "RangeCheck",
            Comparator="EQ",
            SoftHard="Soft",
            **{f"{{{DEF_NS}}}ItemOID": "IT.QS.QSTESTCD"},
        )
        _odm(check, "CheckValue", code)
    return True


def add_value_items(mdv: ET.Element, qs: pd.DataFrame) -> None:
    """One ItemDef per test code (what QSORRES holds for it)."""
    for code in qs_codes(qs):
        total = code == QS_TOTAL[0]
        item = _odm(
            mdv,
            "ItemDef",
            OID=f"IT.QS.QSORRES.{code}",
            Name="QSORRES",
            DataType="integer",
            Length=2 if total else 1,
            SASFieldName="QSORRES",
        )
        _text(item, "Description", NAMES[code] + (" (0-48 points)" if total else " (0-4)"))
        if not total:
            _odm(item, "CodeListRef", CodeListOID=SCORE_LIST)
        _def(item, "Origin", Type="Derived" if total else "CRF")


def add_value_code_list_and_method(mdv: ET.Element, qs: pd.DataFrame) -> None:
    """The item score code list (after the other code lists) and the total's method."""
    codes = qs_codes(qs)
    if any(code != QS_TOTAL[0] for code in codes):
        code_list = _odm(
            mdv, "CodeList", OID=SCORE_LIST, Name="ALSFRS-R item score", DataType="integer"
        )
        for score, meaning in enumerate(("no function", "", "", "", "normal")):
            entry = _odm(code_list, "CodeListItem", CodedValue=score, OrderNumber=score + 1)
            _text(entry, "Decode", f"{score}" + (f" ({meaning})" if meaning else ""))
    if QS_TOTAL[0] in codes:
        method = _odm(mdv, "MethodDef", OID=TOTAL_METHOD, Name="ALSFRS-R total", Type="Computation")
        _text(
            method,
            "Description",
            "Sum of the twelve item scores (items 1-12, exactly one "
            "of 5a and 5b), 0-48 points (Cedarbaum 1999).",
        )

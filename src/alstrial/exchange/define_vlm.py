"""Value-level metadata of define.xml: what --ORRES holds for each test of QS and VS.

For every test code in the data: a def:WhereClauseDef (--TESTCD EQ the code), an ItemRef in the
def:ValueListDef of --ORRES, and an ItemDef. QS (ALSFRS-R): the item score, integer 0-4 with
its code list, origin CRF; the total, integer 0-48, origin Derived, with the MethodDef "sum of
the twelve item scores" (docs/domain.md, 'ALSFRS-R'). VS: the result as collected, with its unit.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pandas as pd

from alstrial.exchange.define_standards import DEF_NS, origin_attributes
from alstrial.exchange.odm import ODM_NS, XML_LANG
from alstrial.exchange.sdtm_spec import QS_TESTS, QS_TOTAL, VS_TESTS

SCORE_LIST = "CL.ALSFRSR_ITEM_SCORE"
TOTAL_METHOD = "MT.QS.ALSRTOT"


@dataclass(frozen=True)
class Test:
    description: str
    data_type: str
    length: int
    code_list: str = ""
    origin: str = "CRF"
    method: str = ""


#: Domain -> test code -> what its --ORRES holds, in questionnaire or form order.
TESTS: dict[str, dict[str, Test]] = {
    "QS": {
        **{
            code: Test(f"{name} (0-4)", "integer", 1, SCORE_LIST)
            for code, name, _ in QS_TESTS.values()
        },
        QS_TOTAL[0]: Test(
            f"{QS_TOTAL[1]} (0-48 points)", "integer", 2, origin="Derived", method=TOTAL_METHOD
        ),
    },
    "VS": {
        code: Test(
            f"{name} ({unit})",
            "integer" if unit in ("mmHg", "beats/min", "breaths/min") else "float",
            5,
        )
        for code, name, unit in VS_TESTS.values()
    },
}


def _odm(parent, name, text=None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ODM_NS}}}{name}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _def(parent, name, **attrs) -> ET.Element:
    return ET.SubElement(parent, f"{{{DEF_NS}}}{name}", {k: str(v) for k, v in attrs.items()})


def _text(parent, name: str, text: str) -> None:
    _odm(_odm(parent, name), "TranslatedText", text).set(XML_LANG, "en")


def codes_present(domain: str, frame: pd.DataFrame) -> list[str]:
    present = set(frame[f"{domain}TESTCD"])
    return [code for code in TESTS[domain] if code in present]


def value_list_oid(domain: str) -> str:
    return f"VL.{domain}.{domain}ORRES"


def add_value_lists(mdv: ET.Element, datasets: dict[str, pd.DataFrame]) -> set[str]:
    """ValueListDefs, then WhereClauseDefs (first children of MetaDataVersion, as the schema
    orders them); returns the domains that have value-level metadata."""
    present = {d: codes_present(d, datasets[d]) for d in TESTS if d in datasets}
    present = {d: codes for d, codes in present.items() if codes}
    for domain, codes in present.items():
        value_list = _def(mdv, "ValueListDef", OID=value_list_oid(domain))
        for order, code in enumerate(codes, start=1):
            attrs = {
                "ItemOID": f"IT.{domain}.{domain}ORRES.{code}",
                "OrderNumber": order,
                "Mandatory": "No",
            }
            if TESTS[domain][code].method:
                attrs["MethodOID"] = TESTS[domain][code].method
            item_ref = _odm(value_list, "ItemRef", **attrs)
            _def(item_ref, "WhereClauseRef", WhereClauseOID=f"WC.{domain}.{domain}TESTCD.{code}")
    for domain, codes in present.items():
        for code in codes:
            clause = _def(mdv, "WhereClauseDef", OID=f"WC.{domain}.{domain}TESTCD.{code}")
            check = _odm(
                clause,
                "RangeCheck",
                Comparator="EQ",
                SoftHard="Soft",
                **{f"{{{DEF_NS}}}ItemOID": f"IT.{domain}.{domain}TESTCD"},
            )
            _odm(check, "CheckValue", code)
    return set(present)


def add_value_items(mdv: ET.Element, datasets: dict[str, pd.DataFrame]) -> None:
    """One ItemDef per test code (what --ORRES holds for it)."""
    for domain in TESTS:
        if domain not in datasets:
            continue
        for code in codes_present(domain, datasets[domain]):
            test = TESTS[domain][code]
            item = _odm(
                mdv,
                "ItemDef",
                OID=f"IT.{domain}.{domain}ORRES.{code}",
                Name=f"{domain}ORRES",
                DataType=test.data_type,
                Length=test.length,
                SASFieldName=f"{domain}ORRES",
            )
            _text(item, "Description", test.description)
            if test.code_list:
                _odm(item, "CodeListRef", CodeListOID=test.code_list)
            _def(item, "Origin", **origin_attributes(test.origin))


def add_value_code_list_and_method(mdv: ET.Element, datasets: dict[str, pd.DataFrame]) -> None:
    """The item score code list (after the other code lists) and the total's method."""
    codes = codes_present("QS", datasets["QS"]) if "QS" in datasets else []
    if any(TESTS["QS"][code].code_list == SCORE_LIST for code in codes):
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

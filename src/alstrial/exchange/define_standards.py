"""The Define-XML 2.1 pieces shared by ``define_xml`` and ``define_vlm``: the def namespace,
the def:Standards element (SDTMIG 3.4 and the declared CDISC CT release), origins as
Define-XML 2.1 names them, and def:CommentDef (docs/exchange.md, 'define.xml').
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from alstrial.exchange.odm import ODM_NS, XML_LANG
from alstrial.exchange.terminology import CT_VERSION

DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
DEFINE_VERSION = "2.1.0"
IG_OID = "STD.SDTMIG.3-4"
CT_OID = f"STD.CT.SDTM.{CT_VERSION}"

# alstrial's origin names (sdtm_spec) -> Define-XML 2.1 def:Origin Type and Source. Data
# entered on a form are "Collected" by the investigator (Define-XML 2.0 called them "CRF").
_ORIGINS = {
    "CRF": {"Type": "Collected", "Source": "Investigator"},
    "Derived": {"Type": "Derived", "Source": "Sponsor"},
    "Assigned": {"Type": "Assigned", "Source": "Sponsor"},
    "Protocol": {"Type": "Protocol"},
}


def _def(name: str) -> str:
    return f"{{{DEF_NS}}}{name}"


def origin_attributes(origin: str) -> dict[str, str]:
    """def:Origin attributes for an alstrial origin name (KeyError names an unknown one)."""
    return dict(_ORIGINS[origin])


def add_standards(mdv: ET.Element) -> None:
    """def:Standards, the first child of MetaDataVersion (Define-XML 2.1 schema order)."""
    standards = ET.SubElement(mdv, _def("Standards"))
    ET.SubElement(
        standards,
        _def("Standard"),
        {"OID": IG_OID, "Name": "SDTMIG", "Type": "IG", "Version": "3.4", "Status": "Final"},
    )
    ET.SubElement(
        standards,
        _def("Standard"),
        {
            "OID": CT_OID,
            "Name": "CDISC/NCI",
            "Type": "CT",
            "PublishingSet": "SDTM",
            "Version": CT_VERSION,
            "Status": "Final",
        },
    )


def add_comment(mdv: ET.Element, oid: str, text: str) -> None:
    """A def:CommentDef (after the ODM definitions, as the schema orders it)."""
    comment = ET.SubElement(mdv, _def("CommentDef"), {"OID": oid})
    holder = ET.SubElement(comment, f"{{{ODM_NS}}}Description")
    translated = ET.SubElement(holder, f"{{{ODM_NS}}}TranslatedText")
    translated.text = text
    translated.set(XML_LANG, "en")

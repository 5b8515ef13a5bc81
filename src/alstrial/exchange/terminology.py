"""CDISC Controlled Terminology the SDTM export declares (docs/exchange.md, 'Terminology').

One dated SDTM CT release is declared in define.xml (def:Standards, Type CT). Every CDISC code
list a variable refers to names its NCI code (Alias nci:ExtCodeID); a term's NCI code is given
only where it was checked against the NCI EVS CDISC terminology files: a wrong C-code is worse
than none, so the others are left for the sponsor's CT tooling to add. A value alstrial writes
into a CDISC list that the list does not hold (EXDOSU ``CELLS``, PRLOC ``POSTERIOR ILIAC
CREST``) is a sponsor extension of an extensible list, marked def:ExtendedValue="Yes".
"""

from __future__ import annotations

# The SDTM CT package the export declares (CDISC publishes SDTM CT quarterly; the release date
# names the package).
CT_VERSION = "2025-09-26"

# NCI codes of the CDISC code lists the variables refer to (codelist column of sdtm_spec).
CODELIST_NCI_CODES = {
    "EPOCH": "C99079",
    "ROUTE": "C66729",
    "VSTESTCD": "C66741",
    "NY": "C66742",
}

# NCI codes of terms, checked against NCI EVS (docs/domain.md, 'CDISC mapping').
TERM_NCI_CODES = {
    "ROUTE": {"INTRATHECAL": "C38267"},
}

# Sponsor values written into extensible CDISC code lists.
EXTENDED_VALUES = {
    "UNIT": {"CELLS"},
    "LOC": {"POSTERIOR ILIAC CREST"},
}


def is_extended(codelist: str, value: str) -> bool:
    """Whether ``value`` is a sponsor extension of the CDISC list ``codelist``."""
    return value in EXTENDED_VALUES.get(codelist, set())

"""Text longer than 200 bytes in an SDTM dataset, as SDTMIG 3.4 section 4.5.3.1 says.

SDTM character variables hold at most 200 characters (the SAS transport v5 limit, which counts
bytes). A longer value keeps its first part in the parent variable and the rest goes to the
supplemental qualifiers dataset in records of at most 200 each, named after the variable with a
suffix ``1, 2, ...`` (``AETERM1``, ``AETERM2``; an 8-character name loses its last letter to
make room: ``AEDECOD1`` fits, ``AEDECO10`` would be the tenth part) and labelled after it.

Here the limit is counted in UTF-8 bytes, so one dataset fits every format (CSV, Dataset-JSON
and XPT alike), and a value is cut only between characters (never inside a multi-byte
character): 90 Korean characters (270 bytes) become 66 characters in AETERM (198 bytes) and 24
in the AETERM1 qualifier. Only AE holds free text (the verbatim term); a value over the limit
in another domain is a conformance problem reported by ``sdtm_checks``.
See docs/exchange.md.
"""

from __future__ import annotations

import pandas as pd

from alstrial.exchange.sdtm_spec import column_names, variables

MAX_TEXT_BYTES = 200
MAX_NAME, MAX_LABEL = 8, 40
#: Datasets whose long text is split into their SUPP-- dataset (the ones that have one).
SPLIT_DOMAINS = ("AE",)


def utf8_length(value) -> int:
    """Length of ``value`` as text, in UTF-8 bytes."""
    return len(str(value).encode("utf-8"))


def split_text(value: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """``value`` cut into parts of at most ``limit`` UTF-8 bytes, between characters."""
    parts, current, size = [], [], 0
    for character in value:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(character)
        size += width
    parts.append("".join(current))
    return parts


def qualifier_name(variable: str, number: int) -> str:
    """QNAM of part ``number`` (1 = the first part past the parent's) of ``variable``."""
    suffix = str(number)
    return variable[: MAX_NAME - len(suffix)] + suffix


def qualifier_label(label: str, number: int) -> str:
    suffix = f" {number}"
    return label[: MAX_LABEL - len(suffix)] + suffix


def split_long_text(domain: str, frame: pd.DataFrame, supp: pd.DataFrame) -> tuple:
    """(``frame`` with each long value cut to its first part, ``supp`` with the rest appended).

    The parent record is identified by ``--SEQ`` (IDVAR/IDVARVAL), as the other qualifiers.
    """
    labels = {v.name: v.label for v in variables(domain)}
    seq = f"{domain}SEQ"
    out = frame.copy()
    rows = []
    for variable in variables(domain):
        if variable.type != "Char":
            continue
        lengths = out[variable.name].map(utf8_length)
        for index in out.index[lengths > MAX_TEXT_BYTES]:
            first, *rest = split_text(out.at[index, variable.name])
            out.at[index, variable.name] = first
            for number, part in enumerate(rest, start=1):
                rows.append(
                    {
                        "STUDYID": out.at[index, "STUDYID"],
                        "RDOMAIN": domain,
                        "USUBJID": out.at[index, "USUBJID"],
                        "IDVAR": seq,
                        "IDVARVAL": str(int(out.at[index, seq])),
                        "QNAM": qualifier_name(variable.name, number),
                        "QLABEL": qualifier_label(labels[variable.name], number),
                        "QVAL": part,
                        "QORIG": variable.origin,
                        "QEVAL": "",
                    }
                )
    if not rows:
        return out, supp
    added = pd.DataFrame(rows, columns=column_names(f"SUPP{domain}"))
    together = pd.concat([supp, added], ignore_index=True)
    return out, together.fillna("").astype(str)

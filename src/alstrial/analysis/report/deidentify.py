"""What a report built for a de-identified reader (the statistician) may show: study days and
coded terms, never calendar dates, moments or free text (docs/report.md "De-identified
reports"; the same rule as the web pages' and the API's de-identified views).

Applied to the tables handed to :func:`alstrial.analysis.report.build.build_report`: event-level
listings are left out (they are the safety tables' listings, :data:`.safety_tables.TABLES`),
and from every other table each column holding calendar dates or moments and each free-text
column is dropped; a term that is not a preferred term of the shipped coding list (text as
reported, not yet coded) is replaced, as ``alstrial.web.safety.board.trial_frames`` does for a
de-identified user.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import pandas as pd

from alstrial.analysis.safety_tables import ALL_TERMS, TABLES
from alstrial.domain.safety_terms import shipped_terms

#: Titles of the event-level listings (subject, onset, awareness and scan dates).
LISTING_TITLES = frozenset(title for title, is_listing, _ in TABLES.values() if is_listing)
#: The column naming an adverse event's term, and what a term not yet coded becomes.
TERM_COLUMN = "term"
NOT_CODED = "(term not yet coded)"
#: Columns that hold text as typed by a person.
FREE_TEXT_COLUMNS = frozenset(
    {
        "narrative",
        "verbatim_term",
        "missed_reason",
        "withdrawal_reason",
        "immediate_reactions",
        "note",
        "reason",
        "comment",
    }
)
#: A calendar date written as text (ISO ``2024-01-03``, ``03/01/2024``, ``3 Jan 2024``).
_DAY = r"(0?[1-9]|[12]\d|3[01])"
_MONTH = r"(0?[1-9]|1[0-2])"
DATE_TEXT = re.compile(
    rf"\b(19|20)\d\d-{_MONTH}-{_DAY}\b|\b{_DAY}[/.]{_MONTH}[/.]((19|20)\d\d|\d\d)\b(?![/.]\d)|"
    rf"\b{_DAY} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (19|20)\d\d\b",
    re.IGNORECASE,
)


def _is_calendar(value) -> bool:
    if isinstance(value, dt.date | pd.Timestamp | dt.datetime):  # datetime is a date
        return True
    return isinstance(value, str) and DATE_TEXT.search(value) is not None


def calendar_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` holding any calendar date or moment (typed or as text)."""
    found = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values) or any(
            _is_calendar(v) for v in values.dropna()
        ):
            found.append(column)
    return found


def coded_terms() -> frozenset[str]:
    """The terms a table may name: the shipped list's preferred terms and the "any term" row."""
    return frozenset({t.term for t in shipped_terms()} | {ALL_TERMS, NOT_CODED})


def deidentified_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its calendar and free-text columns; a ``term`` that is not a preferred
    term of the coding list (text as reported, not yet coded) becomes :data:`NOT_CODED`."""
    drop = set(calendar_columns(frame)) | (FREE_TEXT_COLUMNS & set(map(str, frame.columns)))
    out = frame.drop(columns=[c for c in frame.columns if c in drop])
    if TERM_COLUMN in out.columns:
        allowed = coded_terms()
        out = out.assign(
            **{TERM_COLUMN: out[TERM_COLUMN].where(out[TERM_COLUMN].isin(allowed), NOT_CODED)}
        )
    return out


def deidentified_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables a de-identified reader may see: no listings; no dates, moments, free text."""
    return {
        title: deidentified_frame(frame)
        for title, frame in tables.items()
        if title not in LISTING_TITLES
    }

"""CSV meant for spreadsheets: a cell that a spreadsheet would run as a formula is neutralised.

OWASP's rule against CSV (formula) injection: a text cell beginning with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with a single quote, so Excel, LibreOffice and
Google Sheets show it as text instead of evaluating it (``=HYPERLINK(...)`` typed as an adverse
event term, a registry value, a change reason). Numbers stay numbers: ``-1.5`` or ``+3`` (and
numeric columns, which are never text) are written unchanged. :func:`spreadsheet_cell` is the
one rule; every CSV writer of alstrial calls it through :func:`write_csv` (data frames) or
:func:`spreadsheet_row` (``csv.writer`` rows). Formats read by programs (SAS XPT,
Dataset-JSON, ODM XML) keep the true value. See docs/exchange.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value):
    """``value`` as safe for a spreadsheet: ``'`` before text that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_row(values: Iterable) -> list:
    """One ``csv.writer`` row with every cell through :func:`spreadsheet_cell`."""
    return [spreadsheet_cell(value) for value in values]


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns went through :func:`spreadsheet_cell`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(spreadsheet_cell)
    return out


def write_csv(frame: pd.DataFrame, target) -> None:
    """``frame`` as CSV without its index into ``target`` (a path or an open text file)."""
    spreadsheet_frame(frame).to_csv(target, index=False)

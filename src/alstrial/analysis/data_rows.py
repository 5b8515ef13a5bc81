"""One row of the analysis files at a time: reading CSV rows with their line numbers, the
cell readers every column check uses, and the error that names file, line and column.

Split from :mod:`alstrial.analysis.data` (which checks whole files and builds
:class:`~alstrial.analysis.data.AnalysisData`); format: docs/interfaces.md, 'Analysis data'.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.time import MAX_DAY_OFFSET


class RowError(FieldError):
    """One bad value in a file: ``file``, ``line`` (1 is the header), ``column``, ``reason``."""

    def __init__(self, file: str, line: int | None, column: str, reason: str, value: Any = ""):
        super().__init__(column, reason)
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
        self.value = "" if value is None else str(value)

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}, column {self.column}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


class AnalysisDataError(ValidationError):
    """Every problem found in the analysis files; raised so that nothing is analysed."""

    errors: list[RowError]

    def __init__(self, errors: Iterable[RowError]):
        super().__init__(errors)
        self.args = (f"{len(self.errors)} problem(s) in the analysis data",)

    def __str__(self) -> str:
        lines = [f"{len(self.errors)} problem(s) in the analysis data:"]
        lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per problem: file, line, column, value, reason."""
        columns = ["file", "line", "column", "value", "reason"]
        return pd.DataFrame([e.to_dict() for e in self.errors], columns=columns)


Record = tuple[int, Mapping[str, Any]]


def read_csv_records(path: Path) -> tuple[list[Record], list[str]]:
    """Rows with their physical line numbers (the header is line 1)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            reader.fieldnames = columns
            records = []
            for row in reader:
                if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue  # a blank line is not a row
                records.append((reader.line_num, row))
    except OSError as error:
        raise AnalysisDataError([RowError(path.name, None, "-", f"cannot read: {error}")]) from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise AnalysisDataError(
            [RowError(path.name, None, "-", f"not a CSV file: {error}")]
        ) from None
    return records, columns


def frame_records(frame: pd.DataFrame) -> list[Record]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [(i + 2, row) for i, row in enumerate(rows)]


def blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or value is pd.NA
        or (isinstance(value, float) and value != value)
    )


def extra_values(row: Mapping[str, Any], name: str, line: int) -> list[RowError]:
    """A CSV row longer than its header (csv.DictReader files the surplus under ``None``)."""
    extra = row.get(None)
    if not extra:
        return []
    return [RowError(name, line, "-", f"{len(extra)} value(s) more than the header's columns")]


def cell_text(row: Mapping[str, Any], column: str) -> str:
    """A cell as stripped text; ``""`` when empty or missing."""
    value = row.get(column)
    return "" if blank(value) else str(value).strip()


def whole_days(value: Any) -> int:
    """A whole number of days within :data:`~alstrial.domain.time.MAX_DAY_OFFSET` either way;
    ``ValueError`` otherwise ("12", 12, 12.0 pass; "12.5" and 1e23 do not)."""
    if isinstance(value, bool):
        raise ValueError
    number = float(str(value).strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(number) or number != int(number) or abs(number) > MAX_DAY_OFFSET:
        raise ValueError
    return int(number)


def is_infinite(value: Any) -> bool:
    """True for an infinite number (or text such as "inf"), which no score can be."""
    try:
        return math.isinf(float(value))
    except (TypeError, ValueError):
        return False

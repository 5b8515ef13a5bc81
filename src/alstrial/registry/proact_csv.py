"""PRO-ACT files on disk: finding them, reading them as text and collecting rejected values.

Structural problems (missing file or column, unreadable bytes, wrong delimiter, another format)
raise :class:`RegistryFormatError` naming the file, and the line when known. Row-level problems
are collected by :class:`Rejections` as (file, line, column, value, reason), where line is the
line of the CSV file (header = line 1), so a data manager can open the file at that line.

Documented limits (docs/registry.md), so that a hostile or broken file is refused with a clear
error instead of exhausting memory: a line holds at most :data:`MAX_LINE_CHARACTERS`
characters, a record (which a quoted line break may spread over several lines) at most
:data:`MAX_RECORD_CHARACTERS` and :data:`MAX_FIELDS` fields; a day offset lies within
:data:`MAX_DAYS` of the first trial observation, so it is a whole number that fits any integer
column (``1e23`` or ``2**63`` are rejected rows, never wrapped round).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# The column names live in proact_columns; they are re-exported here for existing callers.
from alstrial.domain.time import MAX_DAY_OFFSET
from alstrial.registry.proact_columns import (  # noqa: F401
    ALSFRS_COLUMNS,
    ALSFRS_ITEM_COLUMNS,
    ALSHISTORY_COLUMNS,
    DEATHDATA_COLUMNS,
    DEMOGRAPHICS_COLUMNS,
    FORM_FILES,
    FVC_COLUMNS,
)

#: Cells holding these strings are missing values (PRO-ACT leaves cells empty; R exports "NA").
MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan"})

REJECTED_COLUMNS = ("file", "line", "column", "value", "reason")

#: PRO-ACT lines are under 2,000 characters (the widest file has about 100 columns).
MAX_LINE_CHARACTERS = 65_536
MAX_RECORD_CHARACTERS = 4 * MAX_LINE_CHARACTERS
MAX_FIELDS = 1_000
#: Day offsets (ALSFRS_Delta, Onset_Delta, Death_Days...): at most 100 years either way.
MAX_DAYS = MAX_DAY_OFFSET

# File signatures of formats that are sometimes renamed to .csv by mistake.
_FOREIGN_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an OLE document (an Excel .xls workbook?)",
    b"%PDF": "a PDF document",
    b"SQLite format 3": "an SQLite database",
    b"\x1f\x8b": "a gzip archive",
}


class RegistryFormatError(ValueError):
    """A structural error that refuses the whole registry: names the file (line, column)."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str = ""):
        where = file + (f", line {line}" if line is not None else "")
        where += f", column {column}" if column else ""
        super().__init__(f"{where}: {message}")
        self.file = file
        self.line = line
        self.column = column
        self.message = message


@dataclass
class Rejections:
    """Rejected values, collected vectorised; :meth:`frame` gives the documented table."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, file: str, lines, column: str, values, reason) -> None:
        """Record one reason (a string, or one per row) for each line in ``lines``."""
        lines = np.asarray(lines, dtype=np.int64)
        if len(lines) == 0:
            return
        values = pd.Series(values, dtype="object").astype(str).to_numpy()
        self.parts.append(
            pd.DataFrame(
                {
                    "file": file,
                    "line": lines,
                    "column": column,
                    "value": values,
                    "reason": reason if isinstance(reason, str) else np.asarray(reason, object),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS}).astype(
                {"line": np.int64}
            )
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values(["file", "line", "column"], kind="stable", ignore_index=True)


def find_files(directory: Path) -> dict[str, Path]:
    """Form name -> path, matching PRO-ACT file names case-insensitively in both generations."""
    if not directory.is_dir():
        raise RegistryFormatError(str(directory), "is not a folder")
    by_name: dict[str, list[Path]] = {}
    for path in directory.iterdir():
        if path.is_file():
            by_name.setdefault(path.name.lower(), []).append(path)
    found: dict[str, Path] = {}
    for form, names in FORM_FILES.items():
        matches = [p for name in names for p in by_name.get(name, [])]
        if len(matches) > 1:
            listed = ", ".join(sorted(p.name for p in matches))
            raise RegistryFormatError(
                str(directory), f"several files for the {form} form: {listed}; keep one"
            )
        if matches:
            found[form] = matches[0]
    if not found:
        raise RegistryFormatError(
            str(directory),
            "no PRO-ACT files found (expected PROACT_ALSFRS.csv or alsfrs.csv and the others)",
        )
    return found


def _check_text_file(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError as error:
        raise RegistryFormatError(path.name, f"cannot be read: {error.strerror}") from None
    if not head.strip():
        raise RegistryFormatError(path.name, "is empty: expected a header line")
    for signature, what in _FOREIGN_SIGNATURES.items():
        if head.startswith(signature):
            raise RegistryFormatError(path.name, f"is {what}, not a CSV file")
    if b"\x00" in head:
        raise RegistryFormatError(path.name, "contains NUL bytes: not a text CSV file (UTF-16?)")


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline(MAX_LINE_CHARACTERS + 2)
    except UnicodeDecodeError:
        raise RegistryFormatError(path.name, "is not UTF-8 text", line=1) from None
    if len(first.rstrip("\r\n")) > MAX_LINE_CHARACTERS:
        raise RegistryFormatError(path.name, _too_long("line"), line=1)
    header = next(csv.reader([first]), [])
    if len(header) > MAX_FIELDS:
        raise RegistryFormatError(path.name, _too_many(len(header)), line=1)
    if len(header) <= 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if delimiter in first:
                raise RegistryFormatError(
                    path.name, f"fields are separated by {name}; PRO-ACT files use commas", line=1
                )
    return [h.strip() for h in header]


def read_text_table(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read the wanted columns of one CSV as text, plus ``line`` (header = 1).

    Column names are matched case-insensitively (surrounding spaces ignored) and renamed to
    the PRO-ACT spelling given. Cells keep their text; leading spaces are skipped while
    parsing, and numbers tolerate trailing spaces. Blank lines are dropped (the other rows
    keep their true line numbers). A record spanning several lines (a quoted line break) is
    numbered by the line where it starts.
    """
    _check_text_file(path)
    header = _header(path)
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        if name.lower() in positions:
            raise RegistryFormatError(path.name, f"column {name} appears twice", 1, name)
        positions[name.lower()] = position
    missing = [c for c in required if c.lower() not in positions]
    if missing:
        raise RegistryFormatError(
            path.name, f"missing column(s) {', '.join(missing)}", line=1, column=missing[0]
        )
    wanted = {positions[c.lower()]: c for c in (*required, *optional) if c.lower() in positions}
    lines, fields = _records(path)
    width = int(max(len(header), fields.max(initial=0)))
    table = _parse(path, width, sorted(wanted))
    if table is None or len(table) != len(lines):
        # The C parser and the csv module disagree on odd files (a bare carriage return inside
        # a line ends a record for the csv module): follow the csv module, which numbered
        # the lines, at Python speed.
        table = _parse_slowly(path, width, sorted(wanted))
    table = table.rename(columns=wanted)
    table.insert(0, "line", lines)
    table.insert(1, "fields", fields)
    table.attrs["header_fields"] = len(header)
    blank = (table.drop(columns=["line", "fields"]) == "").all(axis=1).to_numpy()
    return table.loc[~blank].reset_index(drop=True)


def _parse(path: Path, width: int, usecols: list[int]) -> pd.DataFrame | None:
    """The data records as text, by pandas' C parser (None when it cannot parse the file)."""
    try:
        return pd.read_csv(
            path,
            header=None,
            skiprows=1,
            names=range(width),
            usecols=usecols,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            encoding="utf-8-sig",
            engine="c",
        )
    except UnicodeDecodeError as error:
        raise RegistryFormatError(path.name, f"is not UTF-8 text ({error.reason})") from None
    except (pd.errors.ParserError, ValueError):
        return None


def _parse_slowly(path: Path, width: int, usecols: list[int]) -> pd.DataFrame:
    """The data records as text, by the csv module (missing trailing fields are empty)."""
    columns: dict[int, list[str]] = {i: [] for i in usecols}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for record in reader:
            padded = record + [""] * (width - len(record))
            for i in usecols:
                columns[i].append(padded[i].lstrip(" "))
    return pd.DataFrame({i: pd.Series(v, dtype=str) for i, v in columns.items()})


def _records(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(line where each data record starts, its number of fields), header = line 1.

    pandas fills short rows and drops extra fields silently, so the records are counted
    with the csv module (C speed, about 1 s per million rows), which also knows the true
    line of a record holding a quoted line break.
    """
    starts: list[int] = []
    counts: list[int] = []
    end = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = _BoundedLines(handle, path.name)
            reader = csv.reader(lines)
            next(reader, None)
            end = reader.line_num
            for record in reader:
                if len(record) > MAX_FIELDS:
                    raise RegistryFormatError(path.name, _too_many(len(record)), end + 1)
                starts.append(end + 1)
                counts.append(len(record))
                end = reader.line_num
                lines.record_start()
    except UnicodeDecodeError as error:
        raise RegistryFormatError(path.name, f"is not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise RegistryFormatError(path.name, f"cannot be parsed as CSV: {error}", end) from None
    return np.asarray(starts, dtype=np.int64), np.asarray(counts, dtype=np.int64)


def _too_long(what: str) -> str:
    limit = MAX_LINE_CHARACTERS if what == "line" else MAX_RECORD_CHARACTERS
    return f"{what} longer than {limit:,} characters (the limit of a registry file)"


def _too_many(fields: int) -> str:
    return f"row has {fields:,} fields, over the limit of {MAX_FIELDS:,}"


class _BoundedLines:
    """The lines of an open text file for ``csv.reader``, refusing a line or a record over
    the limits before it is held in memory whole (``readline`` reads at most the limit)."""

    def __init__(self, handle, file: str):
        self.handle = handle
        self.file = file
        self.line = 0
        self.record_characters = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        text = self.handle.readline(MAX_LINE_CHARACTERS + 2)
        if not text:
            raise StopIteration
        self.line += 1
        if len(text.rstrip("\r\n")) > MAX_LINE_CHARACTERS:
            raise RegistryFormatError(self.file, _too_long("line"), self.line)
        self.record_characters += len(text)
        if self.record_characters > MAX_RECORD_CHARACTERS:
            raise RegistryFormatError(self.file, _too_long("record"), self.line)
        return text

    def record_start(self) -> None:
        """The reader finished a record: the next line starts a new one."""
        self.record_characters = 0


def parse_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float values with NaN for missing, mask of cells that are present but not numbers).

    Missing: empty, blank or a :data:`MISSING_TOKENS` cell. Infinities are not numbers here.
    Registry columns hold few distinct strings (item scores, day offsets), so each distinct
    string is parsed once and the results are spread back (six times faster than parsing
    every cell).
    """
    codes, uniques = pd.factorize(text)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    parsed = pd.to_numeric(distinct, errors="coerce").to_numpy(float)
    finite = np.isfinite(parsed)
    unparsed_bad = np.zeros(len(distinct), dtype=bool)
    if not finite.all():
        stripped = distinct[~finite].astype(str).str.strip()
        unparsed_bad[~finite] = ~stripped.isin(MISSING_TOKENS).to_numpy()
    known = codes >= 0  # a NaN cell (not produced by the text reader) is missing
    values = np.where(known & finite[codes], parsed[codes], np.nan)
    return values, known & unparsed_bad[codes]


class RowChecker:
    """Checks the rows of one file, recording each problem and which rows are rejected."""

    def __init__(self, table: pd.DataFrame, file: str, rejections: Rejections):
        self.table = table
        self.file = file
        self.rejections = rejections
        self.lines = table["line"].to_numpy()
        self.rejected = np.zeros(len(table), dtype=bool)
        self._numbers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.malformed = np.zeros(len(table), dtype=bool)
        if "fields" in table:
            # A row with more or fewer fields than the header may have its values shifted
            # into the wrong columns: none of its values can be trusted, so it is rejected
            # for that reason alone.
            fields = table["fields"].to_numpy()
            expected = table.attrs.get("header_fields", fields.max(initial=0))
            wrong = fields != expected
            reasons = messages(
                wrong, f"row has {{}} fields where the header has {expected}", fields
            )
            self.reject(wrong, "(row)", reasons, values=fields.astype(str))
            self.malformed = wrong

    def reject(self, mask: np.ndarray, column: str, reason, values=None) -> None:
        """Reject the rows in ``mask``, quoting their value of ``column`` (or ``values``)."""
        mask = np.asarray(mask, dtype=bool) & ~self.malformed
        if not mask.any():
            return
        if values is None:
            values = self.table[column] if column in self.table else np.full(len(mask), "")
        values = np.asarray(values, dtype=object)[mask]
        reasons = reason if isinstance(reason, str) else np.asarray(reason, object)[mask]
        self.rejections.add(self.file, self.lines[mask], column, values, reasons)
        self.rejected |= mask

    def _parsed(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._numbers:
            self._numbers[column] = parse_numbers(self.table[column])
        return self._numbers[column]

    def present(self, column: str) -> np.ndarray:
        """Numeric column ``column`` holds something (a number or a bad value)."""
        if column not in self.table:
            return np.zeros(len(self.table), dtype=bool)
        values, bad = self._parsed(column)
        return ~np.isnan(values) | bad

    def text(self, column: str, required: bool = False) -> np.ndarray:
        """A text column, stripped (missing -> ""); ``required`` rejects rows where it is empty."""
        if column not in self.table:
            return np.full(len(self.table), "", dtype=object)
        codes, uniques = pd.factorize(self.table[column])
        distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
        distinct = distinct.str.strip().to_numpy(dtype=object)
        values = np.where(codes >= 0, distinct[codes] if len(distinct) else "", "")
        missing = pd.Series(values, dtype=object).isin(MISSING_TOKENS).to_numpy()
        if required:
            self.reject(missing, column, f"{column} is required")
        return np.where(missing, "", values)

    def number(
        self,
        column: str,
        *,
        required: bool = False,
        whole: bool = False,
        low: float = -np.inf,
        high: float = np.inf,
        what: str = "",
    ) -> np.ndarray:
        """A numeric column as float (NaN where missing or rejected), checking its rules."""
        if column not in self.table:
            values = np.full(len(self.table), np.nan)
            if required:
                self.reject(np.ones(len(values), bool), column, f"{column} is required")
            return values
        values, bad = self._parsed(column)
        label = what or column
        self.reject(bad, column, f"{label} is not a number")
        if required:
            self.reject(np.isnan(values) & ~bad, column, f"{column} is required")
        with np.errstate(invalid="ignore"):
            out_of_range = (values < low) | (values > high)
            if np.isinf(low):
                bounds = f"at most {high:g}"
            elif np.isinf(high):
                bounds = f"at least {low:g}"
            else:
                bounds = f"between {low:g} and {high:g}"
            self.reject(out_of_range, column, f"{label} must be {bounds}")
            if whole:
                decimal = ~np.isnan(values) & (values != np.round(values)) & ~out_of_range
                self.reject(decimal, column, f"{label} must be a whole number")
                values = np.where(decimal, np.nan, values)
        return np.where(out_of_range, np.nan, values)

    def day(
        self,
        column: str,
        *,
        required: bool = False,
        low: float = -MAX_DAYS,
        high: float = MAX_DAYS,
        what: str = "",
    ) -> np.ndarray:
        """A day offset: a whole number of days within :data:`MAX_DAYS` (and ``low``-``high``)."""
        return self.number(
            column,
            required=required,
            whole=True,
            low=max(low, -MAX_DAYS),
            high=min(high, MAX_DAYS),
            what=what,
        )

    def reject_duplicates(
        self, frame: pd.DataFrame, keys: list[str], column: str, what: str
    ) -> None:
        """Rows of ``frame`` (index = row number) sharing ``keys``: identical ones keep the
        first and reject the others; conflicting ones are all rejected (no silent choice)."""
        clash = frame.duplicated(keys, keep=False).to_numpy()
        if not clash.any():
            return
        group = frame.loc[clash]
        content = [c for c in group.columns if c != "line"]
        distinct = group.drop_duplicates(content).groupby(keys, dropna=False).size()
        n_distinct = group.join(distinct.rename("_n"), on=keys)["_n"].to_numpy()
        first = group.groupby(keys, dropna=False)["line"].transform("min").to_numpy()
        rows = group.index.to_numpy()
        lines = group["line"].to_numpy()
        conflicting = np.zeros(len(self.table), bool)
        conflicting[rows[n_distinct > 1]] = True
        listed = group.groupby(keys, dropna=False)["line"].transform(
            lambda s: ", ".join(map(str, sorted(s)))
        )
        reasons = np.full(len(self.table), "", dtype=object)
        reasons[rows] = f"conflicting rows for the same {what} (lines "
        reasons[rows] = reasons[rows] + listed.to_numpy() + ")"
        self.reject(conflicting, column, reasons)
        repeat = np.zeros(len(self.table), bool)
        repeat[rows[(n_distinct == 1) & (lines != first)]] = True
        reasons[rows] = "duplicate of line " + first.astype(str)
        self.reject(repeat, column, reasons)


def messages(mask: np.ndarray, template: str, *columns: np.ndarray) -> np.ndarray:
    """Per-row reasons: ``template.format(*values)`` where ``mask``, else None (full length)."""
    out = np.full(len(mask), None, dtype=object)
    picked = [np.asarray(c)[mask] for c in columns]
    out[mask] = [template.format(*values) for values in zip(*picked, strict=True)]
    return out

"""Tidy CSV files for statisticians: one file per form, de-identified.

One row per record; ``subject_id`` is the pseudonymous code and every date becomes a study day
(``day``: days from the subject's day 0, the trial's anchor; negative before it), as in the
statistician's view of the web app: no calendar dates, no free text, no identity. Files:
``alsfrs_r.csv``, ``fvc.csv``, ``weight.csv``, ``vitals.csv``, ``mri_spine.csv``,
``conmed.csv`` (riluzole, edaravone), ``administration.csv``, ``adverse_events.csv``
(onset_day, resolution_day).

Adverse events carry coded terms only: the verbatim term is left out, and the term of an event
not yet coded (no code from alstrial's term list) is written as ``UNCODED`` instead of the text
as typed, which may name a person, a place or a date. Cells are made safe for spreadsheets
(``spreadsheet.write_csv``). See docs/exchange.md.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.exchange.spreadsheet import write_csv
from alstrial.exchange.trial_data import TrialData

#: The term written for an adverse event that has no code yet (its text stays in the EDC).
UNCODED = "UNCODED"

VISIT_FORMS = {
    "alsfrs_r": "alsfrs",
    "fvc": "fvc",
    "weight": "weight",
    "vitals": "vitals",
    "mri_spine": "mri",
    "conmed": "conmed",
}


def _day(value, anchor) -> float:
    if value is None or anchor is None or pd.isna(value) or pd.isna(anchor):
        return float("nan")
    when = value.date() if isinstance(value, datetime) else value
    start = anchor.date() if isinstance(anchor, datetime) else anchor
    if not isinstance(when, date):
        return float("nan")
    return float((when - start).days)


def _with_days(frame: pd.DataFrame, anchors: dict, dates: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for column, day_column in dates.items():
        pairs = zip(out["subject_id"], out[column], strict=True)
        days = pd.Series([_day(v, anchors.get(s)) for s, v in pairs], index=out.index, dtype=float)
        position = out.columns.get_loc(column)
        out = out.drop(columns=[column])
        out.insert(position, day_column, days.astype("Int64"))
    return out


def coded_terms_only(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Adverse events without free text: no verbatim term, ``UNCODED`` for uncoded terms."""
    out = adverse_events.drop(columns=["verbatim_term"]).copy()
    coded = out["term_code"].map(lambda code: isinstance(code, str) and code != "")
    out["term"] = out["term"].where(coded, UNCODED)
    out["coded_term"] = out["coded_term"].where(coded, None)
    return out


def tidy_frames(data: TrialData) -> dict[str, pd.DataFrame]:
    """File name (without .csv) -> frame."""
    anchors = dict(zip(data.subjects["subject_id"], data.subjects["day_zero_date"], strict=True))
    files = {
        key: _with_days(data.frames[name], anchors, {"visit_date": "day"})
        for key, name in VISIT_FORMS.items()
    }
    files["administration"] = _with_days(
        data.administrations.drop(columns=["lot_code"]), anchors, {"administered_at": "day"}
    )
    adverse = coded_terms_only(data.adverse_events)
    adverse["seriousness_criteria"] = adverse["seriousness_criteria"].map(
        lambda v: ";".join(v) if isinstance(v, list | tuple) else ""
    )
    files["adverse_events"] = _with_days(
        adverse, anchors, {"onset_date": "onset_day", "resolution_date": "resolution_day"}
    )
    return files


def write_tidy_csv(data: TrialData, out_dir: str | Path) -> list[Path]:
    """Write the files into the folder ``out_dir`` (which the caller stages: ``staging``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tidy_frames(data).items():
        path = out / f"{name}.csv"
        for column in set(frame.columns) & {*ITEM_KEYS, "total"}:
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        write_csv(frame, path)
        written.append(path)
    return written

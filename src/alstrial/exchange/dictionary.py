"""The data dictionary: every form and field of a trial as one CSV a data manager can review.

Columns: ``form``, ``form_label``, ``field``, ``label``, ``type`` (integer, float, text,
boolean, date, datetime), ``allowed_values`` (``code=decode`` separated by `` | ``), ``units``,
``range`` (``low-high``, inclusive), ``required`` (yes/no), ``description`` (the model's help
text) and ``visits`` (the protocol visits that collect the form; the visit form itself, status and
date: every visit; adverse events: any time).
Written from the same form specs as the ODM metadata.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alstrial.exchange.forms import FormSpec
from alstrial.exchange.spreadsheet import write_csv
from alstrial.exchange.staging import staged_file

COLUMNS = (
    "form",
    "form_label",
    "field",
    "label",
    "type",
    "allowed_values",
    "units",
    "range",
    "required",
    "description",
    "visits",
)


def dictionary_frame(forms: list[FormSpec], protocol) -> pd.DataFrame:
    visits_of: dict[str, list[str]] = {}
    for visit in protocol.visits():
        for form in visit.forms:
            visits_of.setdefault(form, []).append(visit.code)
    rows = []
    for form in forms:
        visits = " ".join(visits_of.get(form.key, [])) or (
            "every visit" if form.key == "visit" else "any time"
        )
        for item in form.items:
            rows.append(
                {
                    "form": form.key,
                    "form_label": form.label,
                    "field": item.name,
                    "label": item.label,
                    "type": item.type,
                    "allowed_values": " | ".join(f"{k}={v}" for k, v in item.allowed.items()),
                    "units": item.units,
                    "range": item.range,
                    "required": "yes" if item.required else "no",
                    "description": item.description,
                    "visits": visits,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_dictionary(forms: list[FormSpec], protocol, path: str | Path) -> Path:
    """Write the dictionary as ``path`` (all or nothing; cells safe for spreadsheets)."""
    frame = dictionary_frame(forms, protocol)
    with staged_file(path) as staging:
        write_csv(frame, staging)
    return Path(path)

"""Read a PRO-ACT natural-history registry into tidy pandas frames (no Django, no database).

``read_registry(directory)`` returns a :class:`Registry`; the exchange importer and the analysis
(matched external controls) code against these frames, so their names are a contract:

``Registry.alsfrs`` (one row per subject, day and scale)
    subject_id (str), day (int, ``ALSFRS_Delta``: days from the subject's first trial
    observation), scale ('R' or 'original'), the item columns named by the docs/domain.md,
    'ALSFRS-R' keys plus ``respiratory`` (original Q10) as float (NaN = not scored; whole numbers
    0-4), total (float: the item sum when the items are complete, else the stored total),
    stored_total (float, NaN when not stored), line (the CSV line, for traceability).
``Registry.subjects`` (one row per subject_id seen in any accepted row)
    age_years, sex ('M'/'F'/NaN), onset_site ('bulbar'/'spinal'/'other'/NaN), onset_day and
    diagnosis_day (days, onset negative), death_day (NaN if alive or unknown), died (bool).
``Registry.fvc``
    subject_id, day, fvc_percent (% of predicted), line.
``Registry.rejected``
    file, line, column, value, reason: one row per problem (a row may have several).

Across files: an ALSFRS or FVC row dated after the subject's death is rejected.

File names are matched case-insensitively in both generations (``PROACT_ALSFRS.csv`` or the
2016 archive's ``alsfrs.csv``). ALSFRS, ALSHISTORY, DEMOGRAPHICS and DEATHDATA are required (a
missing death file would silently make everybody alive); FVC is optional. The row rules are in
``proact_alsfrs`` and ``proact_subjects``; structural errors raise :class:`RegistryFormatError`.
Everything is vectorised pandas: no Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.registry.proact_alsfrs import ALSFRS_FRAME_COLUMNS, ITEM_KEYS, read_alsfrs
from alstrial.registry.proact_csv import (
    REJECTED_COLUMNS,
    RegistryFormatError,
    Rejections,
    find_files,
    messages,
)
from alstrial.registry.proact_subjects import (
    read_deaths,
    read_demographics,
    read_fvc,
    read_history,
)

__all__ = [
    "ALSFRS_FRAME_COLUMNS",
    "ITEM_KEYS",
    "SUBJECT_COLUMNS",
    "Registry",
    "RegistryFormatError",
    "RegistryRejectedRows",
    "read_registry",
]

REQUIRED_FORMS = ("alsfrs", "alshistory", "demographics", "deathdata")
SUBJECT_COLUMNS = (
    "subject_id",
    "age_years",
    "sex",
    "onset_site",
    "onset_day",
    "diagnosis_day",
    "death_day",
    "died",
)
FVC_FRAME_COLUMNS = ("subject_id", "day", "fvc_percent", "line")


class RegistryRejectedRows(ValueError):
    """``strict=True`` and some rows were rejected: ``rejected`` lists them all."""

    def __init__(self, rejected: pd.DataFrame, limit: int = 20):
        self.rejected = rejected
        shown = rejected.head(limit).itertuples(index=False)
        listed = "\n".join(f"  {r.file}:{r.line} {r.column}={r.value!r}: {r.reason}" for r in shown)
        more = f"\n  ... and {len(rejected) - limit} more" if len(rejected) > limit else ""
        n_rows = rejected[["file", "line"]].drop_duplicates().shape[0]
        super().__init__(f"{n_rows} rejected row(s) in strict mode:\n{listed}{more}")


@dataclass(frozen=True)
class Registry:
    """A PRO-ACT registry as frames (see the module docstring for the column contract)."""

    alsfrs: pd.DataFrame
    subjects: pd.DataFrame
    fvc: pd.DataFrame
    rejected: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Accepted and rejected counts, for the import summary."""
        rejected_rows = self.rejected[["file", "line"]].drop_duplicates()
        return {
            "subjects": len(self.subjects),
            "alsfrs_rows": len(self.alsfrs),
            "alsfrs_r_rows": int((self.alsfrs["scale"] == "R").sum()),
            "alsfrs_original_rows": int((self.alsfrs["scale"] == "original").sum()),
            "fvc_rows": len(self.fvc),
            "deaths": int(self.subjects["died"].sum()),
            "rejected_rows": len(rejected_rows),
            "rejected_problems": len(self.rejected),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": dict(self.files),
            "counts": self.counts(),
            "settings": {"days_per_month": DAYS_PER_MONTH},
        }

    def months_from_onset(self) -> pd.Series:
        """Months from symptom onset at each ALSFRS row (``day - onset_day``) / 30.4375."""
        onset = self.alsfrs["subject_id"].map(self.subjects.set_index("subject_id")["onset_day"])
        return (self.alsfrs["day"] - onset) / DAYS_PER_MONTH


def read_registry(directory: str | Path, strict: bool = False) -> Registry:
    """Read every PRO-ACT form in ``directory``; see the module docstring for the contract.

    Raises :class:`RegistryFormatError` for a structural problem and, with ``strict=True``,
    :class:`RegistryRejectedRows` when any row is rejected (nothing is returned half-read).
    """
    folder = Path(directory)
    files = find_files(folder)
    missing = [form for form in REQUIRED_FORMS if form not in files]
    if missing:
        names = ", ".join(f"PROACT_{form.upper()}.csv" for form in missing)
        raise RegistryFormatError(str(folder), f"missing file(s): {names}")
    rejections = Rejections()
    alsfrs = read_alsfrs(files["alsfrs"], rejections)
    demographics = read_demographics(files["demographics"], rejections)
    history = read_history(files["alshistory"], rejections)
    deaths = read_deaths(files["deathdata"], rejections)
    if "fvc" in files:
        fvc = read_fvc(files["fvc"], rejections)
    else:
        fvc = pd.DataFrame({c: pd.Series(dtype=object) for c in FVC_FRAME_COLUMNS})
        fvc = fvc.astype({"day": np.int64, "fvc_percent": float, "line": np.int64})
    subjects = _subjects(alsfrs, demographics, history, deaths, fvc)
    alsfrs = _drop_after_death(alsfrs, subjects, files["alsfrs"].name, "ALSFRS_Delta", rejections)
    if "fvc" in files:
        column = "Forced_Vital_Capacity_Delta"
        fvc = _drop_after_death(fvc, subjects, files["fvc"].name, column, rejections)
    rejected = rejections.frame()
    if strict and len(rejected):
        raise RegistryRejectedRows(rejected)
    return Registry(
        alsfrs=alsfrs.loc[:, list(ALSFRS_FRAME_COLUMNS)],
        subjects=subjects,
        fvc=fvc.loc[:, list(FVC_FRAME_COLUMNS)],
        rejected=rejected.loc[:, list(REJECTED_COLUMNS)],
        files={form: path.name for form, path in files.items()},
    )


def _drop_after_death(
    frame: pd.DataFrame, subjects: pd.DataFrame, file: str, column: str, rejections: Rejections
) -> pd.DataFrame:
    """Reject measurements dated after the subject's death (docs/domain.md, 'Series-ending events':
    death ends the series, so a later row is a dating error in one of the two files)."""
    death_day = frame["subject_id"].map(subjects.set_index("subject_id")["death_day"])
    late = (frame["day"] > death_day).to_numpy()
    if late.any():
        reasons = messages(late, "day {:g} is after the death on day {:g}", frame["day"], death_day)
        rejections.add(file, frame["line"][late], column, frame["day"][late], reasons[late])
    return frame.loc[~late].reset_index(drop=True)


def _subjects(alsfrs, demographics, history, deaths, fvc) -> pd.DataFrame:
    ids = pd.unique(
        pd.concat(
            [
                frame["subject_id"]
                for frame in (alsfrs, demographics, history, deaths, fvc)
                if len(frame)
            ]
            or [pd.Series([], dtype=str)]
        )
    )
    subjects = pd.DataFrame({"subject_id": pd.Series(ids, dtype=str)})
    for frame in (demographics, history, deaths):
        subjects = subjects.merge(frame, on="subject_id", how="left")
    subjects["died"] = subjects["died"].fillna(False).astype(bool)
    subjects = subjects.sort_values("subject_id", ignore_index=True)
    return subjects.loc[:, list(SUBJECT_COLUMNS)].astype(
        {"age_years": float, "onset_day": float, "diagnosis_day": float, "death_day": float}
    )

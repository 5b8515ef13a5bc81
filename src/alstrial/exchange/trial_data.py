"""A trial's clinical data as plain frames: what every exchange format is built from.

The exchange layer holds formats only (no Django): ``alstrial.web.exchange.extract`` fills a
:class:`TrialData` from the database and the SDTM, ODM, Dataset-JSON, dictionary and CSV
writers read it. Frames carry pseudonymous subject codes only (``subject_id``), never names,
dates of birth or hospital numbers. Dates are ``datetime.date``; times are timezone-aware UTC
``datetime``. Column contract (one row per record):

- ``subjects``: subject_id, site, status, sex, age_years, onset_site, consent_date,
  screening_date, enrolment_date, day_zero_date, withdrawal_date, death_date
- ``visits``: subject_id, visit_code, visit_name, visit_num, epoch, status, visit_date,
  administration (the administration number the visit carries, else empty)
- ``alsfrs``: subject_id, visit_code, visit_date, the twelve item keys (both 5a and 5b), total
- ``vitals``: subject_id, visit_code, visit_date, systolic_mmhg, diastolic_mmhg,
  heart_rate_bpm, respiratory_rate, temperature_c
- ``weight``: subject_id, visit_code, visit_date, weight_kg
- ``conmed``: subject_id, visit_code, visit_date, riluzole, edaravone (taken: True/False)
- ``fvc``: subject_id, visit_code, visit_date, fvc_percent_predicted, fvc_litres
- ``mri``: subject_id, visit_code, visit_date, cord_volume_ml, abnormal_proliferation
- ``harvests``: subject_id, visit_code, aspirated_at, anatomical_site, volume_ml
- ``administrations``: subject_id, visit_code, dose_number, route, administered_at,
  cells_given, volume_ml, lot_code, vehicle, cells_per_kg
- ``adverse_events``: subject_id, ae_id, verbatim_term, term, coded_term, term_code,
  onset_date, resolution_date, grade, serious, seriousness_criteria (list), relatedness_*
  (cell_product, bone_marrow_aspiration, lumbar_puncture, spinal_surgery), outcome,
  action_taken
- ``audit``: subject_id, form, record_id, item, value, user, changed_at (UTC), reason,
  change_type (``+`` insert, ``~`` update, ``-`` delete), visit_code, site
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from alstrial.domain.alsfrs_items import ITEM_KEYS
from alstrial.domain.protocol import Protocol
from alstrial.domain.time import DAYS_PER_MONTH

RELATEDNESS_CAUSES = ("cell_product", "bone_marrow_aspiration", "lumbar_puncture", "spinal_surgery")

COLUMNS: dict[str, tuple[str, ...]] = {
    "subjects": (
        "subject_id",
        "site",
        "status",
        "sex",
        "age_years",
        "onset_site",
        "consent_date",
        "screening_date",
        "enrolment_date",
        "day_zero_date",
        "withdrawal_date",
        "death_date",
    ),
    "visits": (
        "subject_id",
        "visit_code",
        "visit_name",
        "visit_num",
        "epoch",
        "status",
        "visit_date",
        "administration",
    ),
    "alsfrs": ("subject_id", "visit_code", "visit_date", *ITEM_KEYS, "total"),
    "vitals": (
        "subject_id",
        "visit_code",
        "visit_date",
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "respiratory_rate",
        "temperature_c",
    ),
    "weight": ("subject_id", "visit_code", "visit_date", "weight_kg"),
    "conmed": ("subject_id", "visit_code", "visit_date", "riluzole", "edaravone"),
    "fvc": ("subject_id", "visit_code", "visit_date", "fvc_percent_predicted", "fvc_litres"),
    "mri": (
        "subject_id",
        "visit_code",
        "visit_date",
        "cord_volume_ml",
        "abnormal_proliferation",
    ),
    "harvests": ("subject_id", "visit_code", "aspirated_at", "anatomical_site", "volume_ml"),
    "administrations": (
        "subject_id",
        "visit_code",
        "dose_number",
        "route",
        "administered_at",
        "cells_given",
        "volume_ml",
        "lot_code",
        "vehicle",
        "cells_per_kg",
    ),
    "adverse_events": (
        "subject_id",
        "ae_id",
        "verbatim_term",
        "term",
        "coded_term",
        "term_code",
        "onset_date",
        "resolution_date",
        "grade",
        "serious",
        "seriousness_criteria",
        *(f"relatedness_{cause}" for cause in RELATEDNESS_CAUSES),
        "outcome",
        "action_taken",
    ),
    "audit": (
        "subject_id",
        "form",
        "record_id",
        "item",
        "value",
        "user",
        "changed_at",
        "reason",
        "change_type",
        "visit_code",
        "site",
    ),
}


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the columns of ``name``."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS[name]})


def frame_of(name: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame with exactly the contract's columns (in order; missing ones empty)."""
    if not rows:
        return empty_frame(name)
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS[name]))


@dataclass(frozen=True)
class TrialData:
    """One trial's data (see the module docstring for the frames' columns)."""

    study_id: str
    title: str
    protocol: Protocol
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    days_per_month: float = DAYS_PER_MONTH
    #: ``{subject ID: arm code}`` of the randomised subjects, for an unblinded export only;
    #: None for a blinded export or a trial without arms (docs/exchange.md, "Arms").
    arms: dict[str, str] | None = None

    def __post_init__(self) -> None:
        for name in COLUMNS:
            frame = self.frames.get(name)
            if frame is None:
                self.frames[name] = empty_frame(name)
            elif list(frame.columns) != list(COLUMNS[name]):
                raise ValueError(
                    f"TrialData.{name}: columns {list(frame.columns)} != {list(COLUMNS[name])}"
                )

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in COLUMNS:
            return self.frames[name]
        raise AttributeError(name)

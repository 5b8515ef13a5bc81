"""PRO-ACT subject-level forms: DEMOGRAPHICS, ALSHISTORY, DEATHDATA, and the FVC form.

Rules (docs/domain.md, 'PRO-ACT registry format') and the choices alstrial makes where PRO-ACT is
ambiguous:

* DEMOGRAPHICS: ``Sex`` Male/Female (or M/F, any case) -> 'M'/'F'; ``Age`` in years, or
  ``-Date_of_Birth / 365.25`` when Age is empty (Date_of_Birth is negative days). Ages outside
  0-120 are rejected. Several rows for one subject: identical ones collapse, conflicting ones
  are all rejected.
* ALSHISTORY: ``Site_of_Onset`` text (``Onset: Bulbar`` -> 'bulbar'; ``Onset: Limb``/``Spine``
  -> 'spinal'; anything else, including ``Onset: Limb and Bulbar``, -> 'other') or, when the
  text is empty, the one-hot ``Site_of_Onset___*`` columns (Bulbar; Limb or Spine;
  Limb_and_Bulbar, Other or bulbar with limb -> 'other'). A row with Onset_Delta after
  Diagnosis_Delta is rejected (which of the two is wrong cannot be known), and so is an
  Onset_Delta after time 0. Several rows per subject are reconciled field by field: the
  non-missing values must agree; when they do not, the field is left unknown and each
  disagreeing row is listed with the other lines.
* DEATHDATA: ``Subject_Died`` Yes/No (any case). A subject died if any row says Yes ('No'
  records vital status at an earlier contact). Death_Days of the Yes rows must agree; if they
  do not, the death day is left unknown and the rows listed. Death_Days on a No row, or before
  time 0: rejected.
* FVC: ``fvc_percent`` is the best (largest) of ``pct_of_Normal_Trial_1..3`` (the ATS/ERS
  best-of-trials rule); without percentages, 100 x best litres / ``Subject_Normal``. Values
  outside 0-200 % are rejected; duplicates as for ALSFRS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alstrial.domain.time import DAYS_PER_YEAR
from alstrial.registry.proact_columns import ALSHISTORY_COLUMNS, DEMOGRAPHICS_COLUMNS, FVC_COLUMNS
from alstrial.registry.proact_csv import (
    RegistryFormatError,
    Rejections,
    RowChecker,
    messages,
    read_text_table,
)

SEX_CODES = {"male": "M", "m": "M", "female": "F", "f": "F"}
ONSET_TEXT = {"bulbar": "bulbar", "limb": "spinal", "spine": "spinal", "spinal": "spinal"}


def read_demographics(path: Path, rejections: Rejections) -> pd.DataFrame:
    """subject_id, age_years, sex ('M'/'F'/NaN): one row per subject."""
    table = read_text_table(path, ("subject_id", "Sex"), optional=DEMOGRAPHICS_COLUMNS)
    if "Age" not in table and "Date_of_Birth" not in table:
        raise RegistryFormatError(path.name, "missing column Age (or Date_of_Birth)", line=1)
    check = RowChecker(table, path.name, rejections)
    subject = check.text("subject_id", required=True)
    sex_text = check.text("Sex")
    sex = pd.Series(sex_text).str.lower().map(SEX_CODES).to_numpy(dtype=object)
    check.reject(
        (sex_text != "") & pd.isna(sex), "Sex", "Sex must be Male or Female (M/F accepted)"
    )
    age = check.number("Age", low=0, high=120, what="Age (years)")
    birth = check.number("Date_of_Birth", low=-120 * DAYS_PER_YEAR, high=0, what="Date_of_Birth")
    age = np.where(np.isnan(age), -birth / DAYS_PER_YEAR, age)
    frame = pd.DataFrame({"subject_id": subject, "age_years": age, "sex": sex, "line": check.lines})
    check.reject_duplicates(frame.loc[~check.rejected], ["subject_id"], "subject_id", "subject")
    return frame.loc[~check.rejected, ["subject_id", "age_years", "sex"]]


def _onset_site(check: RowChecker) -> np.ndarray:
    text = pd.Series(check.text("Site_of_Onset")).str.lower().str.replace("onset:", "").str.strip()
    site = text.map(ONSET_TEXT).to_numpy(dtype=object)
    site = np.where((text != "") & pd.isna(site), "other", site)
    flags = {}
    for name in ("Bulbar", "Limb", "Limb_and_Bulbar", "Other", "Spine"):
        values = check.number(
            f"Site_of_Onset___{name}", low=0, high=1, what=f"Site_of_Onset_{name}"
        )
        flags[name] = np.nan_to_num(values) > 0
    limb = flags["Limb"] | flags["Spine"]
    one_hot = np.select(
        [
            flags["Limb_and_Bulbar"] | flags["Other"] | (flags["Bulbar"] & limb),
            flags["Bulbar"],
            limb,
        ],
        ["other", "bulbar", "spinal"],
        default=None,
    )
    return np.where(text == "", one_hot, site)


def read_history(path: Path, rejections: Rejections) -> pd.DataFrame:
    """subject_id, onset_site, onset_day, diagnosis_day: one row per subject, reconciled."""
    required = ("subject_id", "Onset_Delta", "Diagnosis_Delta")
    table = read_text_table(path, required, optional=ALSHISTORY_COLUMNS)
    check = RowChecker(table, path.name, rejections)
    subject = check.text("subject_id", required=True)
    # Onset precedes the first trial observation (time 0): docs/domain.md, 'PRO-ACT registry
    # format'.
    onset = check.day("Onset_Delta", high=0, what="Onset_Delta (days)")
    diagnosis = check.day("Diagnosis_Delta", what="Diagnosis_Delta (days)")
    site = _onset_site(check)
    with np.errstate(invalid="ignore"):
        late = onset > diagnosis
    reasons = messages(late, "Onset_Delta {:g} is after Diagnosis_Delta {:g}", onset, diagnosis)
    check.reject(late, "Onset_Delta", reasons)
    frame = pd.DataFrame(
        {
            "subject_id": subject,
            "onset_site": site,
            "onset_day": onset,
            "diagnosis_day": diagnosis,
            "line": check.lines,
        }
    ).loc[~check.rejected]
    fields = {
        "onset_site": "Site_of_Onset",
        "onset_day": "Onset_Delta",
        "diagnosis_day": "Diagnosis_Delta",
    }
    subjects = pd.DataFrame({"subject_id": pd.unique(frame["subject_id"])})
    for field, column in fields.items():
        agreed = reconcile(frame, field, column, check)
        subjects = subjects.merge(agreed, on="subject_id", how="left")
    return subjects


def reconcile(frame: pd.DataFrame, field: str, column: str, check: RowChecker) -> pd.DataFrame:
    """One value of ``field`` per subject from several rows; disagreement -> unknown, listed."""
    known = frame.loc[frame[field].notna(), ["subject_id", field, "line"]]
    distinct = known.drop_duplicates(["subject_id", field])
    count = distinct.groupby("subject_id").size()
    clash_ids = count.index[count > 1]
    clash = known.loc[known["subject_id"].isin(clash_ids)]
    if len(clash):
        lines = clash.groupby("subject_id")["line"].transform(
            lambda s: ", ".join(map(str, sorted(s)))
        )
        mask = np.zeros(len(check.table), bool)
        mask[clash.index.to_numpy()] = True
        reasons = np.empty(len(check.table), object)
        reasons[clash.index.to_numpy()] = (
            f"{column} disagrees between rows of the same subject (lines " + lines + "); "
            "left unknown"
        ).to_numpy()
        check.reject(mask, column, reasons)
    agreed = distinct.loc[~distinct["subject_id"].isin(clash_ids), ["subject_id", field]]
    return agreed


def read_deaths(path: Path, rejections: Rejections) -> pd.DataFrame:
    """subject_id, died (bool), death_day (days, NaN when unknown): one row per subject."""
    table = read_text_table(path, ("subject_id", "Subject_Died"), optional=("Death_Days",))
    check = RowChecker(table, path.name, rejections)
    subject = check.text("subject_id", required=True)
    answer = pd.Series(check.text("Subject_Died", required=True)).str.lower()
    died = answer.map({"yes": True, "no": False}).to_numpy(dtype=object)
    check.reject((answer != "") & pd.isna(died), "Subject_Died", "Subject_Died must be Yes or No")
    # A subject who died before the first trial observation could not have been observed.
    day = check.day("Death_Days", low=0, what="Death_Days")
    check.reject(
        (died == False) & ~np.isnan(day),  # noqa: E712 (object array of True/False/NaN)
        "Death_Days",
        "Death_Days given for a subject who did not die (Subject_Died = No)",
    )
    frame = pd.DataFrame(
        {"subject_id": subject, "died": died, "death_day": day, "line": check.lines}
    ).loc[~check.rejected]
    frame["died"] = frame["died"].astype(bool)
    status = frame.groupby("subject_id", sort=False)["died"].any().rename("died").reset_index()
    yes = frame.loc[frame["died"]].copy()
    days = reconcile(yes, "death_day", "Death_Days", check)
    return status.merge(days, on="subject_id", how="left")


def read_fvc(path: Path, rejections: Rejections) -> pd.DataFrame:
    """subject_id, day, fvc_percent (% of predicted), line: one row per subject-day."""
    required = ("subject_id", "Forced_Vital_Capacity_Delta")
    table = read_text_table(path, required, optional=FVC_COLUMNS)
    check = RowChecker(table, path.name, rejections)
    subject = check.text("subject_id", required=True)
    day = check.day("Forced_Vital_Capacity_Delta", required=True, what="FVC day")
    percent = [check.number(f"pct_of_Normal_Trial_{i}", low=0, high=200) for i in (1, 2, 3)]
    litres = [check.number(f"Subject_Liters_Trial_{i}", low=0, high=10) for i in (1, 2, 3)]
    normal = check.number("Subject_Normal", low=0.5, high=10, what="Subject_Normal (litres)")
    with np.errstate(all="ignore"):
        best_percent = np.fmax.reduce(percent)
        from_litres = 100.0 * np.fmax.reduce(litres) / normal
    fvc = np.where(np.isnan(best_percent), from_litres, best_percent)
    check.reject(
        np.isnan(fvc) & ~check.rejected,
        "pct_of_Normal_Trial_1",
        "no FVC value: no percentage of normal and no litres with Subject_Normal",
    )
    check.reject(fvc > 200, "Subject_Liters_Trial_1", "FVC above 200% of normal")
    frame = pd.DataFrame(
        {"subject_id": subject, "day": day, "fvc_percent": fvc, "line": check.lines}
    )
    check.reject_duplicates(
        frame.loc[~check.rejected],
        ["subject_id", "day"],
        "Forced_Vital_Capacity_Delta",
        "subject and day",
    )
    out = frame.loc[~check.rejected].astype({"day": np.int64})
    return out.sort_values(["subject_id", "day"], kind="stable", ignore_index=True)

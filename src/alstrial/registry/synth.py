"""A synthetic natural-history registry in PRO-ACT format (PRO-ACT itself is never shipped).

``synthesize(n_patients, seed)`` draws patients from the natural-history model
(:mod:`alstrial.simulation.natural_history`, docs/domain.md, 'Natural history') and returns the five
PRO-ACT forms as frames with exactly the docs/domain.md, 'PRO-ACT registry format' columns;
``write_proact`` writes them as ``PROACT_ALSFRS.csv``, ``PROACT_ALSHISTORY.csv``,
``PROACT_DEMOGRAPHICS.csv``, ``PROACT_DEATHDATA.csv`` and ``PROACT_FVC.csv``. The same seed gives
the same files.

Per patient (time 0 = first trial observation, all ``*_Delta`` in days from it, onset negative):

* a visit schedule: every 1, 2 or 3 months (probabilities 0.5/0.3/0.2) with +-7 days of jitter,
  for a follow-up of 6, 9, 12 or 18 months; visits end at death or dropout;
* ALSFRS-R totals from the model (integers 0-48 with visit noise) and items consistent with
  them (:mod:`alstrial.registry.synth_items`): revised-scale rows only;
* FVC % predicted at each visit (best of three trials), litres from a sex-specific normal;
* deaths before the end of follow-up (and before dropout, after which the subject is lost);
* onset and diagnosis (diagnostic delay log-normal, median 10 months, before entry); age, with
  ``Age`` left empty for 5% of subjects so that ``Date_of_Birth`` must be used; sex.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alstrial.domain.time import DAYS_PER_MONTH, DAYS_PER_YEAR
from alstrial.registry.proact_columns import (
    ALSFRS_COLUMNS,
    ALSFRS_ITEM_COLUMNS,
    ALSHISTORY_COLUMNS,
    DEATHDATA_COLUMNS,
    DEMOGRAPHICS_COLUMNS,
    FVC_COLUMNS,
)
from alstrial.registry.synth_errors import inject_errors, to_original_scale
from alstrial.registry.synth_items import (
    CUTTING,
    ITEM_ORDER,
    gastrostomy_status,
    items_for_totals,
    loss_thresholds,
)
from alstrial.simulation.natural_history import (
    NaturalHistory,
    Patients,
    draw_patients,
    observe_fvc,
    observe_totals,
)

FOLLOW_UP_MONTHS = np.array([6, 9, 12, 18])
VISIT_INTERVAL_MONTHS = np.array([1, 2, 3])
VISIT_INTERVAL_P = np.array([0.5, 0.3, 0.2])
JITTER_DAYS = 7
MAX_VISITS = 19  # 18 months of monthly visits plus day 0
INJECTED = ["line", "kind", "source_line"]
FILE_NAMES = {
    "alsfrs": "PROACT_ALSFRS.csv",
    "alshistory": "PROACT_ALSHISTORY.csv",
    "demographics": "PROACT_DEMOGRAPHICS.csv",
    "deathdata": "PROACT_DEATHDATA.csv",
    "fvc": "PROACT_FVC.csv",
}


@dataclass(frozen=True)
class SyntheticRegistry:
    """The five PRO-ACT forms (``forms[name]`` frames, PRO-ACT columns) and the drawn patients."""

    forms: dict[str, pd.DataFrame]
    patients: Patients
    subject_ids: np.ndarray
    seed: int
    #: Subjects whose ALSFRS rows are on the original scale (see ``synth_errors``).
    original_subjects: np.ndarray = field(default_factory=lambda: np.array([], dtype=str))
    #: Injected ALSFRS errors: line, kind, source_line (empty for a clean registry).
    injected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INJECTED))


def _schedule(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, MAX_VISITS) visit days (NaN past follow-up) and follow-up end day per subject."""
    interval = rng.choice(VISIT_INTERVAL_MONTHS, n, p=VISIT_INTERVAL_P) * DAYS_PER_MONTH
    follow_up = rng.choice(FOLLOW_UP_MONTHS, n) * DAYS_PER_MONTH
    k = np.arange(MAX_VISITS)
    jitter = rng.integers(-JITTER_DAYS, JITTER_DAYS + 1, (n, MAX_VISITS))
    jitter[:, 0] = 0  # time 0 is the first observation by definition
    days = np.rint(k * interval[:, None]) + jitter
    end = np.rint(follow_up) + JITTER_DAYS
    return np.where(days <= end[:, None], days, np.nan), end


def synthesize(
    n_patients: int,
    seed: int,
    model: NaturalHistory | None = None,
    original_share: float = 0.0,
    error_share: float = 0.0,
) -> SyntheticRegistry:
    """Draw ``n_patients`` subjects and their PRO-ACT forms; deterministic for ``seed``.

    ``original_share`` of the subjects (from "older trials") have original-scale ALSFRS rows;
    ``error_share`` of the revised rows get one injected error each (``synth_errors``). Both
    use their own random stream, so the clean part is the same whatever their values.
    """
    if n_patients < 1:
        raise ValueError(f"n_patients must be >= 1, got {n_patients}")
    for name, share in (("original_share", original_share), ("error_share", error_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {share}")
    rng = np.random.default_rng(seed)
    patients = draw_patients(n_patients, rng, model)
    days, end_day = _schedule(n_patients, rng)
    months = days / DAYS_PER_MONTH
    totals = np.where(np.isnan(days), np.nan, observe_totals(patients, months, rng))
    fvc = np.where(np.isnan(totals), np.nan, observe_fvc(patients, months, rng))
    items = items_for_totals(loss_thresholds(patients.bulbar_onset, rng), totals)
    ids = np.char.add("SYN", np.char.zfill(np.arange(1, n_patients + 1).astype(str), 6))
    observed = ~np.isnan(totals)
    forms = {
        "alsfrs": _alsfrs_form(ids, days, items, totals, observed),
        "fvc": _fvc_form(ids, days, fvc, observed, patients, rng),
        "alshistory": _history_form(ids, patients, rng),
        "demographics": _demographics_form(ids, patients, rng),
        "deathdata": _death_form(ids, patients, end_day),
    }
    blemish_rng = np.random.default_rng([seed, 1])
    original = ids[blemish_rng.random(n_patients) < original_share]
    if len(original):
        forms["alsfrs"] = to_original_scale(forms["alsfrs"], original)
    injected = pd.DataFrame(columns=INJECTED)
    if error_share > 0:
        forms["alsfrs"], injected = inject_errors(forms["alsfrs"], error_share, blemish_rng)
    return SyntheticRegistry(
        forms=forms,
        patients=patients,
        subject_ids=ids,
        seed=seed,
        original_subjects=original,
        injected=injected,
    )


def _alsfrs_form(ids, days, items, totals, observed) -> pd.DataFrame:
    row, col = np.nonzero(observed)
    visit_items = items[row, col]  # (rows, 12)
    gastrostomy = gastrostomy_status(items)[row, col]
    columns = {"subject_id": ids[row]}
    for name, key in ALSFRS_ITEM_COLUMNS.items():
        if key == "respiratory":
            values = pd.array(np.full(len(row), pd.NA), dtype="Int8")
        elif key in ("cutting_without_gastrostomy", "cutting_with_gastrostomy"):
            use = gastrostomy if key == "cutting_with_gastrostomy" else ~gastrostomy
            values = pd.array(np.where(use, visit_items[:, CUTTING], 0), dtype="Int8")
            values[~use] = pd.NA
        else:
            values = pd.array(visit_items[:, ITEM_ORDER.index(key)], dtype="Int8")
        columns[name] = values
    columns["ALSFRS_Total"] = pd.array(np.full(len(row), pd.NA), dtype="Int8")
    columns["ALSFRS_R_Total"] = totals[row, col].astype(np.int8)
    columns["ALSFRS_Delta"] = days[row, col].astype(np.int64)
    columns["Mode_of_Administration"] = "In Person"
    columns["ALSFRS_Responded_By"] = "Patient"
    return pd.DataFrame(columns).loc[:, list(ALSFRS_COLUMNS)]


def _fvc_form(ids, days, fvc, observed, patients: Patients, rng) -> pd.DataFrame:
    row, col = np.nonzero(observed)
    best = fvc[row, col]
    # Predicted normal FVC in litres (adult reference values are about 4.5 l in men and 3.3 l
    # in women, falling about 0.025 l per year of age): the litres follow from the percentage.
    age = patients.age_years[row]
    normal = np.round(np.where(patients.male[row], 4.5, 3.3) - 0.025 * (age - 50), 2)
    trials = best[:, None] - np.abs(rng.normal(0.0, 2.0, (len(row), 3)))
    trials[np.arange(len(row)), rng.integers(0, 3, len(row))] = best
    trials = np.round(np.maximum(trials, 1.0), 1)
    litres = np.round(trials / 100.0 * normal[:, None], 2)
    return pd.DataFrame(
        {
            "subject_id": ids[row],
            "Forced_Vital_Capacity_Delta": days[row, col].astype(np.int64),
            **{f"Subject_Liters_Trial_{i + 1}": litres[:, i] for i in range(3)},
            **{f"pct_of_Normal_Trial_{i + 1}": trials[:, i] for i in range(3)},
            "Subject_Normal": normal,
            "Forced_Vital_Capacity_Units": "L",
        }
    ).loc[:, list(FVC_COLUMNS)]


def _history_form(ids, patients: Patients, rng) -> pd.DataFrame:
    onset = -np.rint(patients.months_since_onset * DAYS_PER_MONTH)
    delay = np.exp(rng.normal(np.log(10.0), 0.6, len(ids))) * DAYS_PER_MONTH
    diagnosis = np.minimum(onset + np.maximum(np.rint(delay), 1), 0)
    bulbar = patients.bulbar_onset
    return pd.DataFrame(
        {
            "subject_id": ids,
            "Site_of_Onset": np.where(bulbar, "Onset: Bulbar", "Onset: Limb"),
            "Onset_Delta": onset.astype(np.int64),
            "Diagnosis_Delta": diagnosis.astype(np.int64),
            "Site_of_Onset___Bulbar": np.where(bulbar, "1", ""),
            "Site_of_Onset___Limb": np.where(bulbar, "", "1"),
            "Site_of_Onset___Limb_and_Bulbar": "",
            "Site_of_Onset___Other": "",
            "Site_of_Onset___Spine": "",
        }
    ).loc[:, list(ALSHISTORY_COLUMNS)]


def _demographics_form(ids, patients: Patients, rng) -> pd.DataFrame:
    birth = -np.rint(patients.age_years * DAYS_PER_YEAR).astype(np.int64)
    age = np.round(-birth / DAYS_PER_YEAR, 1)
    missing_age = rng.random(len(ids)) < 0.05
    return pd.DataFrame(
        {
            "subject_id": ids,
            "Demographics_Delta": 0,
            "Age": np.where(missing_age, "", age.astype(str)),
            "Date_of_Birth": birth,
            "Ethnicity": "Unknown",
            "Race_Caucasian": "",
            "Sex": np.where(patients.male, "Male", "Female"),
        }
    ).loc[:, list(DEMOGRAPHICS_COLUMNS)]


def _death_form(ids, patients: Patients, end_day) -> pd.DataFrame:
    # Rounded up, so that the death day is after every visit the subject attended.
    death_day = np.ceil(patients.death_month * DAYS_PER_MONTH)
    dropout_day = patients.dropout_month * DAYS_PER_MONTH
    died = (patients.death_month * DAYS_PER_MONTH < end_day) & (death_day < dropout_day)
    death_text = np.where(died, np.nan_to_num(death_day, posinf=0).astype(np.int64).astype(str), "")
    return pd.DataFrame(
        {
            "subject_id": ids,
            "Subject_Died": np.where(died, "Yes", "No"),
            "Death_Days": death_text,
        }
    ).loc[:, list(DEATHDATA_COLUMNS)]


def write_proact(registry: SyntheticRegistry, out_dir: str | Path) -> dict[str, Path]:
    """Write the five forms as PRO-ACT CSV files into ``out_dir`` (created if needed)."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # Every file is written beside its target first and only then renamed into place, so a
    # failure (disk full) never leaves half a file or a mix of old and new forms.
    partials = {form: folder / f".{name}.partial" for form, name in FILE_NAMES.items()}
    try:
        for form, partial in partials.items():
            registry.forms[form].to_csv(partial, index=False, lineterminator="\n")
    except BaseException:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
        raise
    written = {}
    for form, partial in partials.items():
        written[form] = partial.replace(folder / FILE_NAMES[form])
    return written

"""Safety tables and listings: pure functions from plain frames to DataFrames.

The web page, the CSV export and the trial report render these same objects.

Input frames (one row each; column names are the contract):
- ``ae``: ``subject_id, term, grade`` (CTCAE v5, 1-5), ``onset_date``, ``resolution_date``
  (empty while unresolved), ``outcome``, ``seriousness_criteria`` (ICH E2A values joined by
  ``;``, empty when not serious), ``expected`` (bool), and ``relatedness_<cause>`` for the causes
  assessed (``cell_product``, ``bone_marrow_aspiration``, ``lumbar_puncture``,
  ``spinal_surgery``); optional ``event_id`` (default: the row number), ``awareness_at``,
  ``action_taken``. Seriousness, relatedness and SUSAR status are derived here by the domain
  rules (:mod:`alstrial.domain.safety`), never read from a column.
- ``subjects``: ``subject_id`` of every subject in the safety population (the denominator N of
  every percentage: subjects who received any study procedure).
- ``mri``: ``subject_id, scan_date, cord_volume_ml`` (spinal cord volume, ml = cm3),
  ``abnormal_proliferation`` (bool); the earliest scan of a subject is its baseline.

Counting conventions (stated in every table's docstring): a subject counts once per row however
many events it had; percentages are of N, rounded to 0.1; an event meeting several seriousness
criteria counts under each; durations are days from onset to resolution (same day = 0), over
resolved events only.
"""

from __future__ import annotations

import pandas as pd

from alstrial.domain.errors import FieldError
from alstrial.domain.safety import Cause, Relatedness, Seriousness, is_susar

AE_COLUMNS = (
    "subject_id",
    "term",
    "grade",
    "onset_date",
    "resolution_date",
    "outcome",
    "seriousness_criteria",
    "expected",
)
MRI_COLUMNS = ("subject_id", "scan_date", "cord_volume_ml", "abnormal_proliferation")
GRADES = (1, 2, 3, 4, 5)
ALL_TERMS = "any term"
DAYS_PER_WEEK = 7


def _require(frame: pd.DataFrame, columns, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FieldError(name, f"missing column(s): {', '.join(missing)}")


def _criteria(value) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    parts = value if isinstance(value, list | tuple | set | frozenset) else str(value).split(";")
    return tuple(sorted(str(Seriousness(p.strip())) for p in parts if str(p).strip()))


def _level(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return None
    return str(Relatedness(str(value).strip()))


def prepare_events(ae: pd.DataFrame, subjects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check the ``ae`` frame and add the derived columns every table uses.

    Adds ``event_id`` (if absent), ``criteria`` (tuple), ``serious``, ``related`` (possible or
    more to any cause), ``related_to`` (causes, ``;``-joined), ``susar``, ``fatal`` (grade 5)
    and ``duration_days``. Raises FieldError naming the column (and row) of a bad value, or a
    subject missing from ``subjects``.
    """
    _require(ae, AE_COLUMNS, "ae")
    out = ae.copy().reset_index(drop=True)
    if "event_id" not in out.columns:
        out["event_id"] = range(1, len(out) + 1)
    cause_columns = [c.field for c in Cause if c.field in out.columns]
    for column in ("onset_date", "resolution_date"):
        out[column] = pd.to_datetime(out[column], errors="coerce")
    for row, record in out.iterrows():
        where = f"ae row {row + 1}"
        try:
            grade = int(record["grade"])
        except (TypeError, ValueError):
            grade = 0
        if grade not in GRADES:
            raise FieldError("grade", f"{where}: CTCAE grade 1-5, got {record['grade']!r}")
        if pd.isna(record["onset_date"]):
            raise FieldError("onset_date", f"{where}: a date is required")
        for column in ["seriousness_criteria", *cause_columns]:
            try:
                (_criteria if column == "seriousness_criteria" else _level)(record[column])
            except ValueError as error:
                raise FieldError(column, f"{where}: {error}") from error
    out["grade"] = out["grade"].astype(int)
    out["criteria"] = out["seriousness_criteria"].map(_criteria)
    out["serious"] = out["criteria"].map(bool).astype(bool)
    levels = out[cause_columns].map(_level) if cause_columns else pd.DataFrame(index=out.index)
    out["related_to"] = [
        ";".join(c.removeprefix("relatedness_") for c in cause_columns if _related(levels.at[i, c]))
        for i in out.index
    ]
    out["related"] = (out["related_to"] != "").astype(bool)
    out["expected"] = out["expected"].astype(bool)
    susar = [
        is_susar(crit, [levels.at[i, c] for c in cause_columns if _related(levels.at[i, c])], exp)
        for i, crit, exp in zip(out.index, out["criteria"], out["expected"], strict=True)
    ]
    # explicit dtypes: an empty trial must still give boolean columns that sum to 0
    out["susar"] = pd.Series(susar, index=out.index, dtype=bool)
    out["fatal"] = out["grade"] == 5
    out["duration_days"] = (out["resolution_date"] - out["onset_date"]).dt.days
    if subjects is not None:
        _require(subjects, ("subject_id",), "subjects")
        unknown = sorted(set(out["subject_id"]) - set(subjects["subject_id"]))
        if unknown:
            raise FieldError("subject_id", f"not in the subjects frame: {', '.join(unknown)}")
    return out


def _related(level) -> bool:
    # ``level`` is a category string, or None/NaN when the cause was not assessed.
    return isinstance(level, str) and Relatedness(level).is_related


def _n(subjects: pd.DataFrame) -> int:
    _require(subjects, ("subject_id",), "subjects")
    return int(subjects["subject_id"].nunique())


def _pct(count: int, n: int) -> float:
    return round(100.0 * count / n, 1) if n else float("nan")


def overview(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Subjects (n, % of N) and events with any AE, related, serious, SUSAR, grade >= 3, fatal."""
    events = prepare_events(ae, subjects)
    n = _n(subjects)
    categories = {
        "any adverse event": pd.Series(True, index=events.index, dtype=bool),
        "related (possible or more)": events["related"],
        "grade 3 or more": events["grade"] >= 3,
        "serious (SAE)": events["serious"],
        "SUSAR": events["susar"],
        "fatal (grade 5)": events["fatal"],
    }
    rows = []
    for label, mask in categories.items():
        hit = events.loc[mask]
        count = int(hit["subject_id"].nunique())
        rows.append(
            {
                "category": label,
                "subjects": count,
                "percent": _pct(count, n),
                "events": len(hit),
            }
        )
    frame = pd.DataFrame(rows, columns=["category", "subjects", "percent", "events"])
    frame.attrs["N"] = n
    return frame


def by_term(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Per term: subjects (n, %), events, events per CTCAE grade, serious and related events.

    First row ``any term`` counts distinct subjects over all terms (not a sum of rows). Terms
    are sorted by subjects (descending), then alphabetically.
    """
    events = prepare_events(ae, subjects)
    n = _n(subjects)

    def row(term: str, group: pd.DataFrame) -> dict:
        count = int(group["subject_id"].nunique())
        out = {"term": term, "subjects": count, "percent": _pct(count, n), "events": len(group)}
        for grade in GRADES:
            out[f"grade_{grade}"] = int((group["grade"] == grade).sum())
        out["serious"] = int(group["serious"].sum())
        out["related"] = int(group["related"].sum())
        return out

    rows = [row(term, group) for term, group in events.groupby("term", sort=True)]
    rows.sort(key=lambda r: (-r["subjects"], r["term"]))
    columns = ["term", "subjects", "percent", "events", *[f"grade_{g}" for g in GRADES]]
    frame = pd.DataFrame([row(ALL_TERMS, events), *rows], columns=[*columns, "serious", "related"])
    frame.attrs["N"] = n
    return frame


def by_worst_grade(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Subjects per term by their worst CTCAE grade for that term (each subject once per row)."""
    events = prepare_events(ae, subjects)
    worst = events.groupby(["term", "subject_id"])["grade"].max().reset_index()
    overall = events.groupby("subject_id")["grade"].max().reset_index().assign(term=ALL_TERMS)
    rows = []
    for term, group in [(ALL_TERMS, overall), *worst.groupby("term", sort=True)]:
        counts = {f"grade_{g}": int((group["grade"] == g).sum()) for g in GRADES}
        rows.append({"term": term, "subjects": int(group["subject_id"].nunique()), **counts})
    frame = pd.DataFrame(rows, columns=["term", "subjects", *[f"grade_{g}" for g in GRADES]])
    frame.attrs["N"] = _n(subjects)
    return frame


def by_relatedness(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Subjects and events per cause and relatedness category (``not assessed`` when empty).

    A subject counts once per (cause, category) row; a subject with events in two categories
    appears in both rows. A cause that no event was assessed against is left out.
    """
    events = prepare_events(ae, subjects)
    n = _n(subjects)
    rows = []
    for cause in Cause:
        if cause.field not in events.columns:
            continue
        levels = events[cause.field].map(_level).fillna("not assessed")
        if len(levels) and (levels == "not assessed").all():
            continue  # not a cause in this trial (e.g. spinal surgery in an intrathecal trial)
        for level in [*(str(r) for r in Relatedness), "not assessed"]:
            hit = events[levels == level]
            count = int(hit["subject_id"].nunique())
            rows.append(
                {
                    "cause": cause.label,
                    "relatedness": level,
                    "subjects": count,
                    "percent": _pct(count, n),
                    "events": len(hit),
                }
            )
    return pd.DataFrame(rows, columns=["cause", "relatedness", "subjects", "percent", "events"])


def by_seriousness(ae: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Subjects and events per ICH E2A criterion; an event with several criteria counts under
    each, so the rows do not add up to the number of serious events."""
    events = prepare_events(ae, subjects)
    n = _n(subjects)
    rows = []
    for criterion in Seriousness:
        # astype(bool): an empty object-dtype mask would be read as a list of column labels.
        mask = events["criteria"].map(lambda c, s=str(criterion): s in c).astype(bool)
        hit = events[mask]
        count = int(hit["subject_id"].nunique())
        rows.append(
            {
                "criterion": criterion.label,
                "subjects": count,
                "percent": _pct(count, n),
                "events": len(hit),
            }
        )
    return pd.DataFrame(rows, columns=["criterion", "subjects", "percent", "events"])


def time_to_resolution(ae: pd.DataFrame) -> pd.DataFrame:
    """Per term: events, resolved, unresolved, and days from onset to resolution of the resolved
    events: mean, median, min, max (and the mean in weeks, days / 7)."""
    events = prepare_events(ae)
    rows = []
    for term, group in events.groupby("term", sort=True):
        days = group["duration_days"].dropna()
        resolved = len(days)
        rows.append(
            {
                "term": term,
                "events": len(group),
                "resolved": resolved,
                "unresolved": len(group) - resolved,
                "mean_days": float(days.mean()) if resolved else float("nan"),
                "median_days": float(days.median()) if resolved else float("nan"),
                "min_days": int(days.min()) if resolved else pd.NA,
                "max_days": int(days.max()) if resolved else pd.NA,
                "mean_weeks": float(days.mean()) / DAYS_PER_WEEK if resolved else float("nan"),
            }
        )
    columns = ["term", "events", "resolved", "unresolved", "mean_days", "median_days"]
    return pd.DataFrame(rows, columns=[*columns, "min_days", "max_days", "mean_weeks"])


LISTING_COLUMNS = [
    "event_id",
    "subject_id",
    "term",
    "onset_date",
    "resolution_date",
    "grade",
    "seriousness_criteria",
    "related_to",
    "expected",
    "susar",
    "outcome",
]


def sae_listing(ae: pd.DataFrame) -> pd.DataFrame:
    """Every serious event, by subject and onset date."""
    events = prepare_events(ae)
    serious = events[events["serious"]].copy()
    serious["seriousness_criteria"] = serious["criteria"].map("; ".join)
    # time_zone (the site's, IANA): the report shows awareness_at in the site's local time
    extra = [c for c in ("awareness_at", "action_taken", "time_zone") if c in serious.columns]
    return (
        serious.sort_values(["subject_id", "onset_date", "event_id"])
        .loc[:, [*LISTING_COLUMNS, *extra]]
        .reset_index(drop=True)
    )


def death_listing(ae: pd.DataFrame) -> pd.DataFrame:
    """Every fatal event (grade 5): subject, term, onset, date of death (the resolution date),
    relatedness and SUSAR status."""
    events = prepare_events(ae)
    deaths = events[events["fatal"]].rename(columns={"resolution_date": "death_date"})
    columns = ["event_id", "subject_id", "term", "onset_date", "death_date", "related_to"]
    return (
        deaths.sort_values(["death_date", "subject_id"])
        .loc[:, [*columns, "susar"]]
        .reset_index(drop=True)
    )


def mri_by_subject(mri: pd.DataFrame) -> pd.DataFrame:
    """Per subject: scans, baseline and last spinal cord volume (ml), change (ml and % of
    baseline) and whether any scan showed abnormal proliferation. With one measured scan the
    last volume and the change are empty (NaN / NaT): there is no follow-up to compare.

    The baseline is the earliest scan with a measured volume and "last" the latest one; a scan
    without a volume (empty) still counts for proliferation. A volume that is not a number > 0
    is refused with the row named.
    """
    _require(mri, MRI_COLUMNS, "mri")
    scans = mri.copy().reset_index(drop=True)
    scans["scan_date"] = pd.to_datetime(scans["scan_date"], errors="coerce")
    given = scans["cord_volume_ml"].notna() & (
        scans["cord_volume_ml"].astype(str).str.strip() != ""
    )
    volume = pd.to_numeric(scans["cord_volume_ml"].where(given), errors="coerce")
    for row in scans.index:
        if pd.isna(scans.at[row, "scan_date"]):
            raise FieldError("scan_date", f"mri row {row + 1}: a scan date is required")
        if given[row] and not volume[row] > 0:
            value = scans.at[row, "cord_volume_ml"]
            raise FieldError(
                "cord_volume_ml", f"mri row {row + 1}: {value!r} is not a volume > 0 ml"
            )
    scans["cord_volume_ml"] = volume
    rows = []
    for subject, group in scans.sort_values("scan_date").groupby("subject_id", sort=True):
        measured = group.dropna(subset=["cord_volume_ml"])
        row = {
            "subject_id": subject,
            "scans": len(group),
            "measured_scans": len(measured),
            "abnormal_proliferation": bool(group["abnormal_proliferation"].astype(bool).any()),
        }
        if len(measured):
            first = measured.iloc[0]
            row |= {
                "baseline_date": first["scan_date"].date(),
                "baseline_volume_ml": float(first["cord_volume_ml"]),
            }
        if len(measured) > 1:
            # One measured scan has no follow-up: its change is unknown (shown as a dash),
            # never "0.0 %".
            last = measured.iloc[-1]
            change = float(last["cord_volume_ml"] - first["cord_volume_ml"])
            row |= {
                "last_date": last["scan_date"].date(),
                "last_volume_ml": float(last["cord_volume_ml"]),
                "change_ml": change,
                "change_percent": 100.0 * change / float(first["cord_volume_ml"]),
            }
        rows.append(row)
    columns = ["subject_id", "scans", "measured_scans", "baseline_date", "last_date"]
    rest = ["baseline_volume_ml", "last_volume_ml", "change_ml", "change_percent"]
    return pd.DataFrame(rows, columns=[*columns, *rest, "abnormal_proliferation"])


def mri_summary(mri: pd.DataFrame) -> pd.DataFrame:
    """One row for the trial: subjects scanned, subjects with a measured follow-up volume, mean
    and range of the volume change (% of baseline) over those, and subjects with abnormal
    proliferation on any scan."""
    per_subject = mri_by_subject(mri)
    followed = per_subject[per_subject["measured_scans"] >= 2]
    change = followed["change_percent"]
    return pd.DataFrame(
        [
            {
                "subjects_scanned": len(per_subject),
                "subjects_with_follow_up": len(followed),
                "mean_change_percent": float(change.mean()) if len(change) else float("nan"),
                "min_change_percent": float(change.min()) if len(change) else float("nan"),
                "max_change_percent": float(change.max()) if len(change) else float("nan"),
                "subjects_with_proliferation": int(per_subject["abnormal_proliferation"].sum()),
            }
        ]
    )


#: Every safety table: name -> (title, is a listing with event-level detail and dates,
#: function of (ae, subjects, mri)). The web page, the CSV export and the trial report use it.
TABLES = {
    "overview": ("Overview of adverse events", False, lambda a, s, m: overview(a, s)),
    "by_term": ("Subjects and events by term and grade", False, lambda a, s, m: by_term(a, s)),
    "worst_grade": (
        "Subjects by worst grade per term",
        False,
        lambda a, s, m: by_worst_grade(a, s),
    ),
    "seriousness": ("Seriousness criteria (ICH E2A)", False, lambda a, s, m: by_seriousness(a, s)),
    "relatedness": ("Relatedness by cause", False, lambda a, s, m: by_relatedness(a, s)),
    "resolution": ("Time to resolution (days)", False, lambda a, s, m: time_to_resolution(a)),
    "sae_listing": ("Serious adverse events", True, lambda a, s, m: sae_listing(a)),
    "death_listing": ("Deaths", True, lambda a, s, m: death_listing(a)),
    "mri_summary": ("Spinal cord MRI: summary", False, lambda a, s, m: mri_summary(m)),
    "mri_by_subject": ("Spinal cord MRI by subject", True, lambda a, s, m: mri_by_subject(m)),
}


def report_tables(
    ae: pd.DataFrame,
    subjects: pd.DataFrame,
    mri: pd.DataFrame | None = None,
    *,
    listings: bool = True,
) -> dict[str, pd.DataFrame]:
    """``{title: table}`` of every safety table, in report order (the trial report's
    ``safety`` argument). ``listings=False`` leaves out the event-level listings (for a
    de-identified reader); without ``mri`` the MRI tables are left out."""
    out = {}
    for title, is_listing, build in TABLES.values():
        if (is_listing and not listings) or (mri is None and "MRI" in title):
            continue
        out[title] = build(ae, subjects, mri)
    return out

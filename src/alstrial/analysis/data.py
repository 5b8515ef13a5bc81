"""Reading and validating the analysis data: ``subjects.csv`` and ``visits.csv``.

Format: docs/interfaces.md, 'Analysis data'. ALSFRS-R items and totals are checked by
the one validator, :mod:`alstrial.domain.alsfrs` (docs/domain.md, 'ALSFRS-R'); this module only says
where (file, line, column) each problem is. Nothing is analysed from a half-valid file: every
problem in both files is collected and raised together as one :class:`AnalysisDataError`.

Days are integers on one time axis per subject (any origin). Optional subject columns
``tracheostomy_day`` and ``permanent_ventilation_day`` end the ALSFRS-R series like death
(docs/domain.md, 'Series-ending events'); a visit after ``death_day`` is an error, a visit after
tracheostomy or permanent ventilation is left out of the analysis and counted (see :mod:`.slopes`).

Randomised trials (docs/analysis.md, "Randomised trials") add optional columns: visits may carry
``visit``, a nominal label such as ``M6`` (``BL`` is the baseline: the last visit at or before
``index_day``, the day of randomisation); subjects may carry ``stratum`` and
``last_contact_day`` (the day follow-up ends for censoring). An event or a visit after
``last_contact_day`` is an input error naming the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alstrial.analysis.data_rows import (
    AnalysisDataError,
    Record,
    RowError,
    blank,
    cell_text,
    extra_values,
    frame_records,
    is_infinite,
    read_csv_records,
    whole_days,
)
from alstrial.analysis.visit_labels import label_problems
from alstrial.domain.alsfrs import check_stored_total, validate_total
from alstrial.domain.alsfrs_items import CUTTING_KEYS, ITEM_KEYS
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.time import MAX_DAY_OFFSET

ARMS = ("treated", "control")
ONSET_SITES = ("bulbar", "spinal", "other")
SUBJECT_COLUMNS = (
    "subject_id",
    "arm",
    "age_years",
    "sex",
    "onset_site",
    "onset_day",
    "index_day",
    "death_day",
)
#: Optional subject columns: days of events that end the ALSFRS-R series (docs/domain.md,
#: 'Series-ending events').
SERIES_END_COLUMNS = ("tracheostomy_day", "permanent_ventilation_day")
#: Optional subject columns of a randomised trial: the randomisation stratum (text) and the day
#: of the last contact (censoring day of the time-to-event analysis).
RANDOMISED_SUBJECT_COLUMNS = ("stratum", "last_contact_day")
DAY_COLUMNS = ("onset_day", "index_day", "death_day", *SERIES_END_COLUMNS)
SUBJECT_DAY_COLUMNS = (*DAY_COLUMNS, "last_contact_day")
#: Optional visit column: the nominal visit label (``BL`` for the baseline, e.g. ``M6``).
VISIT_LABEL_COLUMN = "visit"
TOTAL_COLUMN = "alsfrs_r_total"
#: Item columns required when totals are computed from items: all but 5a/5b, plus one of them.
REQUIRED_ITEM_COLUMNS = tuple(k for k in ITEM_KEYS if k not in CUTTING_KEYS)

SUBJECTS_FILE = "subjects.csv"
VISITS_FILE = "visits.csv"


@dataclass(frozen=True)
class AnalysisData:
    """Validated analysis data.

    ``subjects``: one row per subject, indexed by position, with the columns of
    :data:`SUBJECT_COLUMNS` (+ :data:`SERIES_END_COLUMNS`, :data:`RANDOMISED_SUBJECT_COLUMNS`);
    days are pandas ``Int64`` (nullable), ``stratum`` text or None.
    ``visits``: ``subject_id, day, alsfrs_r_total`` sorted by subject and day; ``gastrostomy``
    (nullable boolean) when items were given; ``visit`` (the nominal label, or None).
    """

    subjects: pd.DataFrame
    visits: pd.DataFrame

    @classmethod
    def from_frames(
        cls,
        subjects: pd.DataFrame,
        visits: pd.DataFrame,
        subjects_name: str = SUBJECTS_FILE,
        visits_name: str = VISITS_FILE,
    ) -> AnalysisData:
        """Validate two frames in the CSV shape (row ``i`` is reported as line ``i + 2``)."""
        return validate(
            frame_records(subjects),
            list(subjects.columns),
            frame_records(visits),
            list(visits.columns),
            subjects_name,
            visits_name,
        )

    def combine(self, other: AnalysisData) -> AnalysisData:
        """This data plus another set of subjects (e.g. matched registry controls)."""
        shared = set(self.subjects["subject_id"]) & set(other.subjects["subject_id"])
        if shared:
            raise AnalysisDataError(
                RowError("subjects", None, "subject_id", f"subject_id {sid!r} appears twice")
                for sid in sorted(shared)
            )
        subjects = pd.concat([self.subjects, other.subjects], ignore_index=True)
        visits = pd.concat([self.visits, other.visits], ignore_index=True)
        visits = visits.sort_values(["subject_id", "day"], ignore_index=True)
        return AnalysisData(subjects=subjects, visits=visits)


def read_analysis_data(subjects_path: str | Path, visits_path: str | Path) -> AnalysisData:
    """Read and validate ``subjects.csv`` and ``visits.csv``; raise :class:`AnalysisDataError`."""
    subjects_path, visits_path = Path(subjects_path), Path(visits_path)
    s_records, s_columns = read_csv_records(subjects_path)
    v_records, v_columns = read_csv_records(visits_path)
    return validate(
        s_records, s_columns, v_records, v_columns, subjects_path.name, visits_path.name
    )


def validate(
    subject_records: list[Record],
    subject_columns: list[str],
    visit_records: list[Record],
    visit_columns: list[str],
    subjects_name: str = SUBJECTS_FILE,
    visits_name: str = VISITS_FILE,
) -> AnalysisData:
    """Check both files completely and build :class:`AnalysisData`, or raise every problem."""
    errors: list[RowError] = []
    missing = [c for c in SUBJECT_COLUMNS if c not in subject_columns]
    errors.extend(RowError(subjects_name, 1, c, "missing column") for c in missing)
    use_items = _visit_layout(visit_columns, visits_name, errors)
    if errors:
        raise AnalysisDataError(errors)
    subjects = _check_subjects(subject_records, subject_columns, subjects_name, errors)
    visits = _check_visits(visit_records, use_items, subjects, visits_name, errors)
    if VISIT_LABEL_COLUMN in visit_columns:
        errors.extend(_check_visit_labels(visit_records, subjects, visits_name))
    if errors:
        raise AnalysisDataError(errors)
    subject_frame = pd.DataFrame(
        list(subjects.values()),
        columns=[*SUBJECT_COLUMNS, *SERIES_END_COLUMNS, *RANDOMISED_SUBJECT_COLUMNS],
    )
    for column in SUBJECT_DAY_COLUMNS:
        subject_frame[column] = subject_frame[column].astype("Int64")
    subject_frame["age_years"] = subject_frame["age_years"].astype("Float64")
    visit_frame = pd.DataFrame(
        visits, columns=["subject_id", "day", TOTAL_COLUMN, "gastrostomy", VISIT_LABEL_COLUMN]
    )
    visit_frame = visit_frame.astype({"day": "int64", TOTAL_COLUMN: "int64"})
    visit_frame["gastrostomy"] = visit_frame["gastrostomy"].astype("boolean")
    visit_frame = visit_frame.sort_values(["subject_id", "day"], ignore_index=True)
    return AnalysisData(subjects=subject_frame, visits=visit_frame)


def _visit_layout(columns: list[str], name: str, errors: list[RowError]) -> bool:
    """True when visits carry item columns (the total is then computed from them)."""
    errors.extend(
        RowError(name, 1, c, "missing column") for c in ("subject_id", "day") if c not in columns
    )
    items_given = [c for c in ITEM_KEYS if c in columns]
    if not items_given:
        if TOTAL_COLUMN not in columns:
            errors.append(
                RowError(name, 1, TOTAL_COLUMN, "missing column: give alsfrs_r_total or the items")
            )
        return False
    errors.extend(
        RowError(name, 1, c, "missing item column")
        for c in REQUIRED_ITEM_COLUMNS
        if c not in columns
    )
    if not any(c in columns for c in CUTTING_KEYS):
        errors.append(RowError(name, 1, CUTTING_KEYS[0], "missing item column: give 5a and/or 5b"))
    return True


def _check_subjects(
    records: list[Record], columns: list[str], name: str, errors: list[RowError]
) -> dict[str, dict[str, Any]]:
    subjects: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    for line, row in records:
        before = len(errors)
        errors.extend(extra_values(row, name, line))
        sid = cell_text(row, "subject_id")
        if not sid:
            errors.append(RowError(name, line, "subject_id", "subject_id is empty"))
        elif sid in first_line:
            errors.append(
                RowError(
                    name,
                    line,
                    "subject_id",
                    f"duplicate subject_id {sid!r} (first on line {first_line[sid]})",
                    sid,
                )
            )
        arm = cell_text(row, "arm")
        if arm not in ARMS:
            errors.append(
                RowError(name, line, "arm", f"arm must be treated or control, got {arm!r}", arm)
            )
        site = cell_text(row, "onset_site") or None
        if site is not None and site not in ONSET_SITES:
            errors.append(
                RowError(
                    name,
                    line,
                    "onset_site",
                    f"onset_site must be bulbar, spinal or other, got {site!r}",
                    site,
                )
            )
        clean: dict[str, Any] = {
            "subject_id": sid,
            "arm": arm,
            "onset_site": site,
            "sex": cell_text(row, "sex") or None,
            "stratum": cell_text(row, "stratum") or None,
        }
        age = row.get("age_years")
        clean["age_years"] = None
        if not blank(age):
            try:
                clean["age_years"] = float(age)
                if not 0 <= clean["age_years"] <= 120:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(
                    RowError(
                        name,
                        line,
                        "age_years",
                        f"age_years must be a number 0-120, got {age!r}",
                        age,
                    )
                )
        for column in SUBJECT_DAY_COLUMNS:
            value = row.get(column) if column in columns else None
            clean[column] = None
            if blank(value):
                continue
            try:
                clean[column] = whole_days(value)
            except (TypeError, ValueError):
                errors.append(
                    RowError(
                        name,
                        line,
                        column,
                        f"{column} must be a whole number of days within +-{MAX_DAY_OFFSET}, "
                        f"got {value!r}",
                        value,
                    )
                )
        errors.extend(_day_order(clean, name, line))
        if sid and sid not in first_line:
            first_line[sid] = line
            if len(errors) == before:
                subjects[sid] = clean
    # Subjects with a bad row are unknown to the visit checks but are not "unknown subjects".
    for sid in set(first_line) - set(subjects):
        subjects.setdefault(sid, {"subject_id": sid, "_invalid": True})
    return subjects


#: (earlier, later): pairs of subject days that cannot be in the other order. Death,
#: tracheostomy and permanent ventilation are follow-up events, so none can come after the last
#: contact (docs/analysis.md, "Randomised trials").
DAY_ORDER = (
    ("onset_day", "index_day"),
    ("onset_day", "death_day"),
    ("death_day", "last_contact_day"),
    ("tracheostomy_day", "last_contact_day"),
    ("permanent_ventilation_day", "last_contact_day"),
)


def _day_order(clean: dict[str, Any], name: str, line: int) -> list[RowError]:
    """Onset cannot follow the index day or death; no event can follow the last contact."""
    return [
        RowError(
            name,
            line,
            earlier,
            f"{earlier} {clean[earlier]} is after {later} {clean[later]}",
            clean[earlier],
        )
        for earlier, later in DAY_ORDER
        if clean[earlier] is not None and clean[later] is not None and clean[earlier] > clean[later]
    ]


def _check_visits(
    records: list[Record],
    use_items: bool,
    subjects: dict[str, dict[str, Any]],
    name: str,
    errors: list[RowError],
) -> list[tuple[str, int, int, bool | None, str | None]]:
    visits: list[tuple[str, int, int, bool | None, str | None]] = []
    seen: dict[tuple[str, int], int] = {}
    for line, row in records:
        before = len(errors)
        errors.extend(extra_values(row, name, line))
        sid = cell_text(row, "subject_id")
        subject = subjects.get(sid)
        if not sid:
            errors.append(RowError(name, line, "subject_id", "subject_id is empty"))
        elif subject is None:
            errors.append(
                RowError(
                    name,
                    line,
                    "subject_id",
                    f"unknown subject {sid!r} (not in the subjects file)",
                    sid,
                )
            )
        day = None
        try:
            day = whole_days(row.get("day"))
        except (TypeError, ValueError):
            errors.append(
                RowError(
                    name,
                    line,
                    "day",
                    f"day must be a whole number of days within +-{MAX_DAY_OFFSET}, "
                    f"got {row.get('day')!r}",
                    row.get("day"),
                )
            )
        if day is not None and sid:
            if (sid, day) in seen:
                errors.append(
                    RowError(
                        name,
                        line,
                        "day",
                        f"duplicate visit: subject {sid!r} day {day} is also on "
                        f"line {seen[(sid, day)]}",
                        day,
                    )
                )
            else:
                seen[(sid, day)] = line
            death = (subject or {}).get("death_day")
            if death is not None and day > death:
                errors.append(
                    RowError(
                        name, line, "day", f"visit on day {day} is after death on day {death}", day
                    )
                )
            last_contact = (subject or {}).get("last_contact_day")
            if last_contact is not None and day > last_contact:
                errors.append(
                    RowError(
                        name,
                        line,
                        "day",
                        f"visit on day {day} is after last_contact_day {last_contact}",
                        day,
                    )
                )
        total, gastrostomy = _visit_score(row, use_items, name, line, errors)
        if len(errors) == before and subject is not None and not subject.get("_invalid"):
            visits.append(
                (sid, day, total, gastrostomy, cell_text(row, VISIT_LABEL_COLUMN) or None)
            )
    return visits


def _check_visit_labels(
    records: list[Record], subjects: dict[str, dict[str, Any]], name: str
) -> list[RowError]:
    """The ``visit`` labels' problems (:mod:`.visit_labels`), each naming its line."""
    rows = []
    for line, row in records:
        try:
            day = whole_days(row.get("day"))
        except (TypeError, ValueError):
            continue  # already reported by the day check
        rows.append((line, cell_text(row, "subject_id"), day, cell_text(row, VISIT_LABEL_COLUMN)))
    index_days = {sid: subject.get("index_day") for sid, subject in subjects.items()}
    return [
        RowError(name, line, VISIT_LABEL_COLUMN, reason, label)
        for line, label, reason in label_problems(rows, index_days)
    ]


def _visit_score(
    row: Mapping[str, Any], use_items: bool, name: str, line: int, errors: list[RowError]
) -> tuple[int | None, bool | None]:
    """The visit's ALSFRS-R total (checked by alstrial.domain.alsfrs) and gastrostomy status."""
    stored = row.get(TOTAL_COLUMN)
    columns = [TOTAL_COLUMN, *(ITEM_KEYS if use_items else ())]
    infinite = [c for c in columns if not blank(row.get(c)) and is_infinite(row.get(c))]
    if infinite:
        # checked here because the domain validators expect finite numbers
        errors.extend(
            RowError(name, line, c, f"{c} must be a finite score, got {row.get(c)!r}", row.get(c))
            for c in infinite
        )
        return None, None
    if not use_items:
        try:
            return validate_total(stored, TOTAL_COLUMN), None
        except FieldError as error:
            errors.append(RowError(name, line, error.field, error.message, stored))
            return None, None
    items = {key: row.get(key) for key in ITEM_KEYS if not blank(row.get(key))}
    try:
        score = check_stored_total(items, None if blank(stored) else stored)
    except ValidationError as error:
        for field_error in error.errors:
            value = stored if field_error.field == TOTAL_COLUMN else row.get(field_error.field)
            errors.append(RowError(name, line, field_error.field, field_error.message, value))
        return None, None
    return score.total, score.gastrostomy

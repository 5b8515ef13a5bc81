"""The nominal visit labels of a randomised trial's ``visits.csv`` (docs/analysis.md,
"Randomised trials"): a label appears once per subject, and ``BL``, the baseline, is the last
visit at or before ``index_day`` (the day of randomisation).

A row without a label is an unscheduled visit: it stays in the data but has no nominal visit.
Other labels at or before the index day (e.g. screening) are lead-in visits, which the
randomised analyses do not use. :mod:`.data` reads the rows and reports the problems found here
with their file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: The label of the baseline visit.
BASELINE_LABEL = "BL"

#: One visit row: (line, subject_id, day, label); label "" when the row has none.
LabelledRow = tuple[int, str, int, str]


def label_problems(
    rows: Iterable[LabelledRow], index_days: Mapping[str, int | None]
) -> list[tuple[int, str, str]]:
    """``(line, label, reason)`` for each duplicate label and each misplaced ``BL``."""
    problems: list[tuple[int, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    days: dict[str, list[int]] = {}
    baselines: list[tuple[int, str, int]] = []
    for line, sid, day, label in rows:
        days.setdefault(sid, []).append(day)
        if not label or not sid:
            continue
        if (sid, label) in seen:
            reason = (
                f"duplicate visit {label!r} for subject {sid!r} (also on line {seen[(sid, label)]})"
            )
            problems.append((line, label, reason))
            continue
        seen[(sid, label)] = line
        if label == BASELINE_LABEL:
            baselines.append((line, sid, day))
    for line, sid, day in baselines:
        index_day = index_days.get(sid)
        if index_day is None:
            continue
        if day > index_day:
            reason = f"baseline visit BL on day {day} is after index_day {index_day}"
        elif any(day < other <= index_day for other in days[sid]):
            reason = f"BL on day {day} is not the last visit at or before index_day {index_day}"
        else:
            continue
        problems.append((line, BASELINE_LABEL, reason))
    return problems

"""How subjects leave a trial, and the one count of them (docs/web.md, 'Subjects finish').

A subject's status runs screening -> screen failure, or screening -> enrolled -> one of the
dispositions: ``completed`` (the last scheduled visit is done), ``withdrawn``,
``lost_to_follow_up`` or ``died``. :func:`disposition_counts` is the one computation of the
study's flow counts; the dashboard, the report's study flow and the SDTM DS domain are checked
against it, so they cannot disagree on how many subjects were enrolled or finished.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

SCREENING = "screening"
SCREEN_FAILED = "screen_failed"
ENROLLED = "enrolled"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"
LOST_TO_FOLLOW_UP = "lost_to_follow_up"
DIED = "died"

#: The ways an enrolled subject leaves the study, each with the date it happened.
DISPOSITIONS: tuple[str, ...] = (COMPLETED, WITHDRAWN, LOST_TO_FOLLOW_UP, DIED)
#: Dispositions set by a person (``completed`` follows from the visits).
STOPPED_EARLY: tuple[str, ...] = (WITHDRAWN, LOST_TO_FOLLOW_UP, DIED)
STATUSES: tuple[str, ...] = (SCREENING, SCREEN_FAILED, ENROLLED, *DISPOSITIONS)


@dataclass(frozen=True)
class DispositionCounts:
    """Subjects per step of the study flow. ``enrolled`` counts every subject ever enrolled
    (still on study or finished), so ``enrolled == on_study + finished``."""

    screened: int
    screen_failed: int
    in_screening: int
    enrolled: int
    on_study: int
    completed: int
    withdrawn: int
    lost_to_follow_up: int
    died: int

    @property
    def finished(self) -> int:
        return self.completed + self.withdrawn + self.lost_to_follow_up + self.died

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "finished": self.finished}


def disposition_counts(statuses: Iterable[str]) -> DispositionCounts:
    """The flow counts of subjects with these statuses (one status per subject).

    An unknown status is a ValueError: a count that silently left subjects out is how the
    dashboard and the report came to disagree.
    """
    by_status = Counter(statuses)
    unknown = set(by_status) - set(STATUSES)
    if unknown:
        raise ValueError(f"unknown subject status {', '.join(sorted(unknown))}")
    finished = {status: by_status[status] for status in DISPOSITIONS}
    return DispositionCounts(
        screened=sum(by_status.values()),
        screen_failed=by_status[SCREEN_FAILED],
        in_screening=by_status[SCREENING],
        enrolled=by_status[ENROLLED] + sum(finished.values()),
        on_study=by_status[ENROLLED],
        **finished,
    )

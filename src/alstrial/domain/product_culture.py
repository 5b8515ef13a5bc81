"""Ex vivo expansion of bone-marrow MSCs: passages, population doublings, days in culture.

Rules: docs/domain.md, 'Cell product'. A manufacturing batch follows the protocol's expansion
method (Mazzini et al. 2003: Pittenger et al. 1999). Each passage records the cells seeded and
the cells harvested; the population doublings of a passage are

    PD = log2(cells harvested / cells seeded)

and the cumulative population doublings are their sum over passages (the usual definition in
MSC manufacturing; a culture that lost cells has a negative PD, reported as it is). Days in
culture run from the day the culture was started (the bone marrow was plated) to the last
harvest. Counts are numbers of cells; dates are calendar dates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from alstrial.domain.errors import FieldError, ValidationError


@dataclass(frozen=True)
class Passage:
    """One passage as entered: number (1, 2, ...), dates and cell counts (cells)."""

    number: int
    seeded_on: date
    harvested_on: date
    cells_seeded: float
    cells_harvested: float


@dataclass(frozen=True)
class PassageResult:
    """One passage with its population doublings (PD, dimensionless) and days in culture."""

    number: int
    seeded_on: date
    harvested_on: date
    cells_seeded: float
    cells_harvested: float
    population_doublings: float
    cumulative_population_doublings: float
    days: int

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "seeded_on": self.seeded_on.isoformat(),
            "harvested_on": self.harvested_on.isoformat(),
            "cells_seeded": self.cells_seeded,
            "cells_harvested": self.cells_harvested,
            "population_doublings": self.population_doublings,
            "cumulative_population_doublings": self.cumulative_population_doublings,
            "days": self.days,
        }


@dataclass(frozen=True)
class CultureSummary:
    """The expansion of one batch: passages in order, cumulative PD and total days in culture."""

    culture_started_on: date
    passages: tuple[PassageResult, ...]
    cumulative_population_doublings: float
    days_in_culture: int
    final_cell_count: float | None

    def to_dict(self) -> dict:
        return {
            "culture_started_on": self.culture_started_on.isoformat(),
            "passages": [p.to_dict() for p in self.passages],
            "cumulative_population_doublings": self.cumulative_population_doublings,
            "days_in_culture": self.days_in_culture,
            "final_cell_count": self.final_cell_count,
        }


def population_doublings(cells_seeded: float, cells_harvested: float) -> float:
    """PD = log2(harvested / seeded) for one passage; both counts must be positive (cells)."""
    if not _positive(cells_seeded):
        raise FieldError(
            "cells_seeded", f"cells seeded must be a positive count, got {cells_seeded!r}"
        )
    if not _positive(cells_harvested):
        raise FieldError(
            "cells_harvested", f"cells harvested must be a positive count, got {cells_harvested!r}"
        )
    return math.log2(cells_harvested / cells_seeded)


def validate_passage(passage: Passage, previous: Passage | None, culture_started_on: date) -> None:
    """Raise :class:`ValidationError` naming each bad field of ``passage``.

    The passage must follow the previous one (number + 1; seeded on or after the previous
    harvest), be harvested on or after it was seeded, not start before the culture, and have
    positive counts.
    """
    missing = [
        FieldError(name, f"{name.replace('_', ' ')} is required")
        for name in ("number", "seeded_on", "harvested_on", "cells_seeded", "cells_harvested")
        if getattr(passage, name) is None
    ]
    if missing:
        raise ValidationError(missing)
    errors: list[FieldError] = []
    expected = 1 if previous is None else previous.number + 1
    if passage.number != expected:
        errors.append(
            FieldError("number", f"passage number must be {expected}, got {passage.number}")
        )
    if passage.seeded_on < culture_started_on:
        errors.append(
            FieldError(
                "seeded_on",
                f"seeded on {passage.seeded_on} is before the culture started "
                f"({culture_started_on})",
            )
        )
    if previous is not None and passage.seeded_on < previous.harvested_on:
        errors.append(
            FieldError(
                "seeded_on",
                f"seeded on {passage.seeded_on} is before the previous passage was harvested "
                f"({previous.harvested_on})",
            )
        )
    if passage.harvested_on < passage.seeded_on:
        errors.append(
            FieldError(
                "harvested_on",
                f"harvested on {passage.harvested_on} is before it was seeded "
                f"({passage.seeded_on})",
            )
        )
    for field in ("cells_seeded", "cells_harvested"):
        value = getattr(passage, field)
        if not _positive(value):
            label = field.replace("_", " ")
            errors.append(FieldError(field, f"{label} must be a positive count, got {value!r}"))
    if errors:
        raise ValidationError(errors)


def summarise_culture(culture_started_on: date, passages: Sequence[Passage]) -> CultureSummary:
    """Validate the passages in order and compute PD per passage, cumulative PD and days."""
    results: list[PassageResult] = []
    cumulative = 0.0
    previous: Passage | None = None
    for passage in sorted(passages, key=lambda p: p.number):
        validate_passage(passage, previous, culture_started_on)
        pd = population_doublings(passage.cells_seeded, passage.cells_harvested)
        cumulative += pd
        results.append(
            PassageResult(
                number=passage.number,
                seeded_on=passage.seeded_on,
                harvested_on=passage.harvested_on,
                cells_seeded=float(passage.cells_seeded),
                cells_harvested=float(passage.cells_harvested),
                population_doublings=pd,
                cumulative_population_doublings=cumulative,
                days=(passage.harvested_on - passage.seeded_on).days,
            )
        )
        previous = passage
    last_day = results[-1].harvested_on if results else culture_started_on
    return CultureSummary(
        culture_started_on=culture_started_on,
        passages=tuple(results),
        cumulative_population_doublings=cumulative,
        days_in_culture=(last_day - culture_started_on).days,
        final_cell_count=results[-1].cells_harvested if results else None,
    )


def _positive(value) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number > 0

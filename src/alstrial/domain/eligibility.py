"""Screening against a protocol's entry criteria (pure: no Django, no I/O).

The criteria come from the protocol file (``alstrial.domain.protocol.Eligibility``): El Escorial
category (revised criteria, Brooks et al. 2000), ALSFRS-R total range (points, Cedarbaum 1999),
FVC (% of predicted), disease duration (months from symptom onset, months = days / 30.4375,
docs/domain.md, 'Months') and age (years). The optional lead-in decline criterion (points/month,
positive = decline; ALSUMMIT required 1.03 +- 50 %) can only be judged at the end of the lead-in,
so at screening it is reported as pending, never as passed.

The web screening form, the API and any importer call :func:`validate_screening` and
:func:`evaluate_eligibility`; the rule lives here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from alstrial.domain.alsfrs import validate_total
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.protocol import EL_ESCORIAL, Eligibility
from alstrial.domain.time import DAYS_PER_MONTH

#: Plausibility limits for values typed at screening (not entry criteria).
FVC_PERCENT_MAX = 200.0
AGE_YEARS_MAX = 120


@dataclass(frozen=True)
class ScreeningData:
    """One candidate's screening values: category, ALSFRS-R total (points), FVC (% predicted),
    disease duration (months from onset), age (years)."""

    el_escorial: str
    alsfrs_r_total: int
    fvc_percent_predicted: float
    disease_duration_months: float
    age_years: float
    lead_in_decline_points_per_month: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Criterion:
    """One entry criterion: ``passed`` is True, False, or None when not yet assessable."""

    key: str
    label: str
    requirement: str
    value: Any
    passed: bool | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EligibilityResult:
    """Every criterion, in protocol order. ``eligible`` is True only when none failed."""

    criteria: tuple[Criterion, ...]

    @property
    def failed(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.passed is False)

    @property
    def pending(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.passed is None)

    @property
    def eligible(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict:
        return {
            "eligible": self.eligible,
            "criteria": [c.to_dict() for c in self.criteria],
        }


def disease_duration_months(onset: date, on: date) -> float:
    """Months from symptom onset to ``on`` (days / 30.4375). Onset after ``on`` is an error."""
    if onset > on:
        raise FieldError("symptom_onset_date", f"onset {onset} is after {on}")
    return (on - onset).days / DAYS_PER_MONTH


def _number(values: Mapping[str, Any], key: str, errors: list, *, low: float, high: float):
    raw = values.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.append(FieldError(key, f"{key.replace('_', ' ')} is required"))
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        errors.append(FieldError(key, f"{key.replace('_', ' ')} must be a number, got {raw!r}"))
        return None
    if not low <= number <= high:
        errors.append(
            FieldError(key, f"{key.replace('_', ' ')} must be between {low:g} and {high:g}")
        )
        return None
    return number


def validate_screening(values: Mapping[str, Any]) -> ScreeningData:
    """Check typed screening values; ValidationError names every bad field.

    Keys: ``el_escorial``, ``alsfrs_r_total`` (0-48), ``fvc_percent_predicted`` (0-200),
    ``disease_duration_months`` (>= 0), ``age_years`` (0-120) and optionally
    ``lead_in_decline_points_per_month``.
    """
    errors: list[FieldError] = []
    category = values.get("el_escorial")
    if category not in EL_ESCORIAL:
        errors.append(
            FieldError("el_escorial", f"choose one of {', '.join(EL_ESCORIAL)}, got {category!r}")
        )
    total = None
    try:
        total = validate_total(values.get("alsfrs_r_total"), field="alsfrs_r_total")
    except FieldError as error:
        errors.append(error)
    fvc = _number(values, "fvc_percent_predicted", errors, low=0, high=FVC_PERCENT_MAX)
    duration = _number(values, "disease_duration_months", errors, low=0, high=1200)
    age = _number(values, "age_years", errors, low=0, high=AGE_YEARS_MAX)
    decline = values.get("lead_in_decline_points_per_month")
    if decline is not None and decline != "":
        decline = _number(values, "lead_in_decline_points_per_month", errors, low=-48, high=48)
    else:
        decline = None
    if errors:
        raise ValidationError(errors)
    return ScreeningData(category, total, fvc, duration, age, decline)


def evaluate_eligibility(criteria: Eligibility, data: ScreeningData) -> EligibilityResult:
    """Judge ``data`` against the protocol's ``criteria`` (bounds are inclusive)."""
    rows = [
        Criterion(
            "el_escorial",
            "El Escorial category",
            " or ".join(criteria.el_escorial),
            data.el_escorial,
            data.el_escorial in criteria.el_escorial,
        ),
        Criterion(
            "alsfrs_r_total",
            "ALSFRS-R total (points)",
            f"{criteria.alsfrs_r_min}-{criteria.alsfrs_r_max}",
            data.alsfrs_r_total,
            criteria.alsfrs_r_min <= data.alsfrs_r_total <= criteria.alsfrs_r_max,
        ),
        Criterion(
            "fvc_percent_predicted",
            "FVC (% predicted)",
            f">= {criteria.fvc_percent_predicted_min:g}",
            data.fvc_percent_predicted,
            data.fvc_percent_predicted >= criteria.fvc_percent_predicted_min,
        ),
        Criterion(
            "disease_duration_months",
            "Disease duration (months from onset)",
            f"<= {criteria.disease_duration_months_max:g}",
            round(data.disease_duration_months, 1),
            data.disease_duration_months <= criteria.disease_duration_months_max,
        ),
        Criterion(
            "age_years",
            "Age (years)",
            f"{criteria.age_min_years:g}-{criteria.age_max_years:g}",
            data.age_years,
            criteria.age_min_years <= data.age_years <= criteria.age_max_years,
        ),
    ]
    low = criteria.lead_in_decline_min_points_per_month
    high = criteria.lead_in_decline_max_points_per_month
    if low is not None or high is not None:
        decline = data.lead_in_decline_points_per_month
        requirement = f"{low if low is not None else '-'} to {high if high is not None else '-'}"
        passed = None
        if decline is not None:
            passed = (low is None or decline >= low) and (high is None or decline <= high)
        rows.append(
            Criterion(
                "lead_in_decline_points_per_month",
                "Lead-in decline (points/month)",
                requirement,
                decline,
                passed,
            )
        )
    return EligibilityResult(tuple(rows))

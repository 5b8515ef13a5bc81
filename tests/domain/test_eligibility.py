"""Screening values and entry criteria (alstrial.domain.eligibility)."""

from __future__ import annotations

from datetime import date

import pytest

from alstrial.domain.eligibility import (
    disease_duration_months,
    evaluate_eligibility,
    validate_screening,
)
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.protocol import Eligibility

CRITERIA = Eligibility(
    el_escorial=("definite", "probable"),
    alsfrs_r_min=20,
    alsfrs_r_max=47,
    fvc_percent_predicted_min=50.0,
    disease_duration_months_max=36.0,
    age_min_years=20,
    age_max_years=75,
)
GOOD = {
    "el_escorial": "probable",
    "alsfrs_r_total": 40,
    "fvc_percent_predicted": 85,
    "disease_duration_months": 14.2,
    "age_years": 52,
}


def test_a_good_candidate_meets_every_criterion():
    result = evaluate_eligibility(CRITERIA, validate_screening(GOOD))
    assert result.eligible
    assert [c.key for c in result.criteria] == [
        "el_escorial",
        "alsfrs_r_total",
        "fvc_percent_predicted",
        "disease_duration_months",
        "age_years",
    ]
    assert result.to_dict()["eligible"] is True


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"el_escorial": "possible"}, "el_escorial"),
        ({"alsfrs_r_total": 48}, "alsfrs_r_total"),
        ({"alsfrs_r_total": 19}, "alsfrs_r_total"),
        ({"fvc_percent_predicted": 49.9}, "fvc_percent_predicted"),
        ({"disease_duration_months": 36.1}, "disease_duration_months"),
        ({"age_years": 76}, "age_years"),
        ({"age_years": 19}, "age_years"),
    ],
)
def test_each_criterion_can_fail_alone(change, failed):
    result = evaluate_eligibility(CRITERIA, validate_screening({**GOOD, **change}))
    assert not result.eligible
    assert [c.key for c in result.failed] == [failed]


@pytest.mark.parametrize(
    "change",
    [
        {"alsfrs_r_total": 20},
        {"alsfrs_r_total": 47},
        {"fvc_percent_predicted": 50},
        {"age_years": 75},
        {"disease_duration_months": 36.0},
    ],
)
def test_bounds_are_inclusive(change):
    assert evaluate_eligibility(CRITERIA, validate_screening({**GOOD, **change})).eligible


def test_bad_values_name_every_field():
    bad = {
        "el_escorial": "maybe",
        "alsfrs_r_total": 49,
        "fvc_percent_predicted": "x",
        "disease_duration_months": -1,
        "age_years": None,
    }
    with pytest.raises(ValidationError) as caught:
        validate_screening(bad)
    assert set(caught.value.by_field()) == {
        "el_escorial",
        "alsfrs_r_total",
        "fvc_percent_predicted",
        "disease_duration_months",
        "age_years",
    }


def test_lead_in_decline_is_pending_until_measured():
    criteria = Eligibility(
        el_escorial=("probable",),
        alsfrs_r_min=20,
        alsfrs_r_max=47,
        fvc_percent_predicted_min=50.0,
        disease_duration_months_max=36.0,
        age_min_years=20,
        age_max_years=75,
        lead_in_decline_min_points_per_month=0.515,  # ALSUMMIT: 1.03 +- 50 %
        lead_in_decline_max_points_per_month=1.545,
    )
    screening = evaluate_eligibility(criteria, validate_screening(GOOD))
    assert screening.eligible
    assert [c.key for c in screening.pending] == ["lead_in_decline_points_per_month"]
    fast = validate_screening({**GOOD, "lead_in_decline_points_per_month": 2.0})
    assert [c.key for c in evaluate_eligibility(criteria, fast).failed] == [
        "lead_in_decline_points_per_month"
    ]


def test_disease_duration_uses_30_4375_days_per_month():
    assert disease_duration_months(date(2024, 1, 1), date(2025, 1, 1)) == pytest.approx(
        366 / 30.4375
    )
    with pytest.raises(FieldError):
        disease_duration_months(date(2025, 1, 2), date(2025, 1, 1))

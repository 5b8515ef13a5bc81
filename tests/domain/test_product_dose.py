"""Dose calculation and expiry, checked by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.product_dose import (
    DoseBasis,
    DoseRule,
    calculate_dose,
    expiry,
    is_expired,
    validate_weight,
)
from alstrial.domain.protocol import bundled_protocol

PER_KG = DoseRule(DoseBasis.PER_KG, 1e6, "autologous CSF", 2.0, 48)


def test_per_kg_dose_uses_the_weight():
    # Oh 2015: 1x10^6 cells/kg; a 63.5 kg patient gets 6.35x10^7 cells in 2 ml.
    dose = calculate_dose(PER_KG, 63.5)
    assert dose.cells == pytest.approx(6.35e7)
    assert dose.cells_per_kg == 1e6
    assert dose.concentration_cells_per_ml == pytest.approx(3.175e7)
    assert dose.to_dict()["volume_ml"] == 2.0
    assert dose.rule == "1e+06 cells/kg in 2 ml autologous CSF"


def test_fixed_dose_ignores_weight_but_reports_cells_per_kg():
    rule = DoseRule("fixed", 5e7, "autologous CSF", 2.0, 24)
    assert calculate_dose(rule).cells == 5e7
    assert calculate_dose(rule).cells_per_kg is None
    assert calculate_dose(rule, 50).cells_per_kg == pytest.approx(1e6)


@pytest.mark.parametrize("weight", [None, "", 5, 400, "heavy", float("nan")])
def test_per_kg_dose_needs_a_plausible_weight(weight):
    with pytest.raises(FieldError) as info:
        calculate_dose(PER_KG, weight)
    assert info.value.field == "weight_kg"


def test_weight_string_is_parsed():
    assert validate_weight("71.2") == pytest.approx(71.2)


def test_bad_rule_names_each_field():
    with pytest.raises(ValidationError) as info:
        DoseRule("per_gram", -1, "", 0, 24)
    assert set(info.value.by_field()) == {
        "dose.basis",
        "dose.cells",
        "dose.vehicle",
        "dose.volume_ml",
    }


def test_expiry_and_expired_at_the_boundary():
    made = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    expires = expiry(made, 48)
    assert expires == datetime(2024, 3, 3, 8, 30, tzinfo=UTC)
    assert not is_expired(expires, expires - timedelta(seconds=1))
    assert is_expired(expires, expires)
    assert not is_expired(None, made)


def test_expiry_needs_an_aware_time():
    with pytest.raises(FieldError) as info:
        expiry(datetime(2024, 3, 1, 8, 30), 48)
    assert info.value.field == "formulated_at"


def test_dose_rule_from_the_mazzini2003_and_kim2009_protocols():
    kim = DoseRule.from_protocol(bundled_protocol("kim2009"))
    assert (kim.basis, kim.cells, kim.volume_ml, kim.expiry_hours) == ("per_kg", 1e6, 2.0, 24)
    assert kim.vehicle == "autologous cerebrospinal fluid"

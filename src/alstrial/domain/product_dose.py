"""Dose of a cell lot: cells from the protocol's dose rule, vehicle, volume and expiry.

Rules: docs/domain.md, 'Cell product'. A dose is per kg of body weight (e.g. 1x10^6 cells/kg, Oh et
al. 2015) or a fixed count, formulated in a stated volume of vehicle (e.g. 2 ml autologous CSF,
Mazzini et al. 2003) and expires a protocol-set number of hours after formulation. A per-kg dose
uses the subject's current weight (kg) from the weight/vitals form; there is no default weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from alstrial.domain.errors import FieldError, ValidationError

#: Plausible adult body weight (kg); outside it the entry is refused as a probable typo.
MIN_WEIGHT_KG = 20.0
MAX_WEIGHT_KG = 250.0


class DoseBasis(StrEnum):
    PER_KG = "per_kg"
    FIXED = "fixed"


@dataclass(frozen=True)
class DoseRule:
    """The protocol's dose: ``cells`` is cells/kg (``per_kg``) or cells (``fixed``)."""

    basis: DoseBasis
    cells: float
    vehicle: str
    volume_ml: float
    expiry_hours: float

    def __post_init__(self) -> None:
        errors = []
        try:
            object.__setattr__(self, "basis", DoseBasis(self.basis))
        except ValueError:
            errors.append(FieldError("dose.basis", f"must be per_kg or fixed, got {self.basis!r}"))
        for name in ("cells", "volume_ml", "expiry_hours"):
            value = getattr(self, name)
            if not _positive(value):
                errors.append(
                    FieldError(f"dose.{name}", f"must be a positive number, got {value!r}")
                )
        if not str(self.vehicle or "").strip():
            errors.append(FieldError("dose.vehicle", "the vehicle must be named"))
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_protocol(cls, protocol) -> DoseRule:
        """The dose of a checked :class:`alstrial.domain.protocol_model.Protocol`: its dose rule's
        target, the vehicle and volume, and the product's expiry after formulation."""
        interventions = protocol.interventions
        return cls(
            basis=interventions.dose.rule,
            cells=interventions.dose.target,
            vehicle=interventions.vehicle.name,
            volume_ml=interventions.vehicle.volume_ml,
            expiry_hours=interventions.product.expiry_hours,
        )

    def describe(self) -> str:
        unit = "cells/kg" if self.basis is DoseBasis.PER_KG else "cells"
        return f"{self.cells:.3g} {unit} in {self.volume_ml:g} ml {self.vehicle}"


@dataclass(frozen=True)
class Dose:
    """A computed dose: total cells, cells/kg (when a weight was used), volume (ml)."""

    cells: float
    cells_per_kg: float | None
    weight_kg: float | None
    volume_ml: float
    vehicle: str
    rule: str

    @property
    def concentration_cells_per_ml(self) -> float:
        return self.cells / self.volume_ml

    def to_dict(self) -> dict:
        return {
            "cells": self.cells,
            "cells_per_kg": self.cells_per_kg,
            "weight_kg": self.weight_kg,
            "volume_ml": self.volume_ml,
            "vehicle": self.vehicle,
            "concentration_cells_per_ml": self.concentration_cells_per_ml,
            "rule": self.rule,
        }


def validate_weight(weight_kg, field: str = "weight_kg") -> float:
    """A body weight in kg within 20-250 kg, or a FieldError naming ``field``."""
    if weight_kg is None or weight_kg == "":
        raise FieldError(field, "no current weight is recorded for this subject (kg)")
    try:
        value = float(weight_kg)
    except (TypeError, ValueError):
        raise FieldError(field, f"weight must be a number in kg, got {weight_kg!r}") from None
    if not math.isfinite(value) or not MIN_WEIGHT_KG <= value <= MAX_WEIGHT_KG:
        raise FieldError(
            field, f"weight must be {MIN_WEIGHT_KG:g}-{MAX_WEIGHT_KG:g} kg, got {weight_kg!r}"
        )
    return value


def calculate_dose(rule: DoseRule, weight_kg: float | None = None) -> Dose:
    """Cells to give: ``rule.cells x weight`` for a per-kg rule, ``rule.cells`` for a fixed one."""
    if rule.basis is DoseBasis.PER_KG:
        weight = validate_weight(weight_kg)
        return Dose(
            cells=rule.cells * weight,
            cells_per_kg=rule.cells,
            weight_kg=weight,
            volume_ml=rule.volume_ml,
            vehicle=rule.vehicle,
            rule=rule.describe(),
        )
    weight = validate_weight(weight_kg) if weight_kg is not None else None
    return Dose(
        cells=rule.cells,
        cells_per_kg=rule.cells / weight if weight else None,
        weight_kg=weight,
        volume_ml=rule.volume_ml,
        vehicle=rule.vehicle,
        rule=rule.describe(),
    )


def expiry(formulated_at: datetime, expiry_hours: float) -> datetime:
    """When a dose formulated at ``formulated_at`` expires (``expiry_hours`` later)."""
    if formulated_at.tzinfo is None:
        raise FieldError("formulated_at", "the time of formulation needs a time zone")
    if not _positive(expiry_hours):
        raise FieldError("expiry_hours", f"must be a positive number, got {expiry_hours!r}")
    return formulated_at + timedelta(hours=float(expiry_hours))


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """True at and after the expiry time. A lot with no expiry yet (not formulated) is not usable,
    but that is judged by its status, not here."""
    return expires_at is not None and now >= expires_at


def _positive(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )

"""Quality control of a cell lot and the evaluation of its release criteria.

Rules: docs/domain.md, 'Cell product'.
- ISCT minimal criteria (Dominici et al. 2006, Cytotherapy 8:315-317): CD105, CD73, CD90
  >= 95% positive; CD45, CD34, CD14 or CD11b, CD79a or CD19, HLA-DR <= 2% positive.
- Usual release tests: viable cell count within the dose range; viability (>= 70-85%, a protocol
  setting); sterility negative; mycoplasma negative; endotoxin < 0.2 EU/kg for intrathecal or
  intraspinal products (the dose's endotoxin, EU/ml x ml, over the recipient's weight in kg);
  appearance; optional karyotype (and trilineage differentiation, potency).

The thresholds are data (:class:`ReleaseCriteria`, read from the protocol); the evaluation is one
pure function, :func:`evaluate_release`, which the web form, the API and the release service all
call. A criterion whose result has not been entered is ``pending``, never ``pass``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from alstrial.domain.errors import FieldError, ValidationError

MARKER_LABELS = {
    "cd105": "CD105",
    "cd73": "CD73",
    "cd90": "CD90",
    "cd45": "CD45",
    "cd34": "CD34",
    "cd14": "CD14",
    "cd11b": "CD11b",
    "cd79a": "CD79a",
    "cd19": "CD19",
    "hla_dr": "HLA-DR",
}
#: Endotoxin limit for intrathecal and intraspinal products, EU per kg (docs/domain.md, 'Cell
#: product').
INTRATHECAL_ENDOTOXIN_EU_PER_KG = 0.2


def marker_key(name: str) -> str:
    """``HLA-DR`` -> ``hla_dr``; ``CD105`` -> ``cd105`` (the keys QC results are entered under)."""
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class MarkerLimit:
    """A flow-cytometry criterion: ``>= percent`` (limit ``min``) or ``<= percent`` (``max``).

    ``alternatives`` holds more than one marker key when either may be measured (CD14 or CD11b;
    ISCT, Dominici 2006); every one measured must meet the limit.
    """

    alternatives: tuple[str, ...]
    limit: str
    percent: float

    @property
    def key(self) -> str:
        return "_or_".join(self.alternatives)

    @property
    def label(self) -> str:
        return " or ".join(MARKER_LABELS.get(m, m) for m in self.alternatives)


#: ISCT minimal criteria (Dominici 2006): CD105, CD73, CD90 >= 95 %; CD45, CD34, CD14 or CD11b,
#: CD79a or CD19, HLA-DR <= 2 %.
ISCT_MARKERS: tuple[MarkerLimit, ...] = (
    MarkerLimit(("cd105",), "min", 95.0),
    MarkerLimit(("cd73",), "min", 95.0),
    MarkerLimit(("cd90",), "min", 95.0),
    MarkerLimit(("cd45",), "max", 2.0),
    MarkerLimit(("cd34",), "max", 2.0),
    MarkerLimit(("cd14", "cd11b"), "max", 2.0),
    MarkerLimit(("cd79a", "cd19"), "max", 2.0),
    MarkerLimit(("hla_dr",), "max", 2.0),
)


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    PENDING = "pending"


class Microbial(StrEnum):
    """A sterility or mycoplasma result."""

    NEGATIVE = "negative"
    POSITIVE = "positive"


class Karyotype(StrEnum):
    NORMAL = "normal"
    ABNORMAL = "abnormal"


@dataclass(frozen=True)
class ReleaseCriteria:
    """Release thresholds from the protocol's ``[release]`` table.

    Percentages are percent of cells. The viable count range is per administration, in cells/kg
    (``viable_count_per_kg``) or cells; a per-kg range needs the recipient's weight.
    """

    viability_min_pct: float = 70.0
    viable_count_min: float = 0.9e6
    viable_count_max: float = 1.1e6
    viable_count_per_kg: bool = True
    markers: tuple[MarkerLimit, ...] = ISCT_MARKERS
    sterility_required: bool = True
    mycoplasma_required: bool = True
    endotoxin_max_eu_per_kg: float = INTRATHECAL_ENDOTOXIN_EU_PER_KG
    appearance: str = "conforms to the specification"
    karyotype_required: bool = False
    trilineage_required: bool = False

    def __post_init__(self) -> None:
        errors = []
        if not _finite(self.viability_min_pct) or not 0 <= self.viability_min_pct <= 100:
            errors.append(
                FieldError(
                    "release.viability_min_percent",
                    f"must be 0-100%, got {self.viability_min_pct!r}",
                )
            )
        if not (
            _finite(self.viable_count_min)
            and _finite(self.viable_count_max)
            and 0 < self.viable_count_min <= self.viable_count_max
        ):
            errors.append(
                FieldError(
                    "release.viable_count_min", "the viable count range must be 0 < min <= max"
                )
            )
        if not _finite(self.endotoxin_max_eu_per_kg) or self.endotoxin_max_eu_per_kg <= 0:
            errors.append(
                FieldError("release.endotoxin_max_eu_per_kg", "must be a positive number")
            )
        for m in self.markers:
            if m.limit not in ("min", "max") or not _finite(m.percent) or not 0 <= m.percent <= 100:
                errors.append(FieldError(f"release.markers.{m.key}", "must be a min/max of 0-100%"))
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_protocol(cls, protocol) -> ReleaseCriteria:
        """From a checked :class:`alstrial.domain.protocol_model.Protocol` (its ``release`` and
        dose rule). ``not_tested`` sterility or mycoplasma means the test is not a criterion."""
        release = protocol.release
        return cls(
            viability_min_pct=release.viability_min_percent,
            viable_count_min=release.viable_count_min,
            viable_count_max=release.viable_count_max,
            viable_count_per_kg=release.viable_count_unit == "cells/kg",
            markers=tuple(
                MarkerLimit(tuple(marker_key(a) for a in m.alternatives), m.limit, m.percent)
                for m in release.markers
            ),
            sterility_required=release.sterility == "negative",
            mycoplasma_required=release.mycoplasma == "negative",
            endotoxin_max_eu_per_kg=release.endotoxin_max_eu_per_kg,
            appearance=release.appearance,
            karyotype_required=release.karyotype == "normal",
        )

    def viable_range_cells(self, weight_kg: float | None) -> tuple[float, float] | None:
        """(min, max) viable cells for one administration; ``None`` if a weight is needed."""
        if not self.viable_count_per_kg:
            return (self.viable_count_min, self.viable_count_max)
        if weight_kg is None:
            return None
        return (self.viable_count_min * weight_kg, self.viable_count_max * weight_kg)


@dataclass(frozen=True)
class QcResults:
    """The QC results of one lot; ``None`` means not entered yet.

    Percentages are percent of cells (0-100); ``viable_cells`` is the lot's count of viable
    cells; ``endotoxin_eu_per_ml`` is the endotoxin concentration of the formulated product.
    """

    viability_pct: float | None = None
    viable_cells: float | None = None
    markers: Mapping[str, float] = field(default_factory=dict)
    sterility: Microbial | None = None
    mycoplasma: Microbial | None = None
    endotoxin_eu_per_ml: float | None = None
    appearance_ok: bool | None = None
    karyotype: Karyotype | None = None
    trilineage_ok: bool | None = None


@dataclass(frozen=True)
class CriterionResult:
    """One criterion: what is required, what was observed, and the outcome."""

    key: str
    label: str
    requirement: str
    observed: str
    outcome: Outcome

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "requirement": self.requirement,
            "observed": self.observed,
            "outcome": self.outcome.value,
        }


@dataclass(frozen=True)
class ReleaseEvaluation:
    """Every criterion of a lot; ``releasable`` only when every one passes."""

    criteria: tuple[CriterionResult, ...]

    @property
    def releasable(self) -> bool:
        return all(c.outcome is Outcome.PASS for c in self.criteria)

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.outcome is Outcome.FAIL)

    @property
    def pending(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.outcome is Outcome.PENDING)

    def to_dict(self) -> dict:
        return {
            "releasable": self.releasable,
            "criteria": [c.to_dict() for c in self.criteria],
        }


def validate_qc_results(data: Mapping[str, Any]) -> QcResults:
    """Parse entered QC results (strings or numbers; blank = not entered), naming each bad field.

    Keys: ``viability_pct``, ``viable_cells``, the marker keys of :data:`MARKER_LABELS`,
    ``sterility``, ``mycoplasma`` (negative/positive), ``endotoxin_eu_per_ml``, ``appearance_ok``,
    ``karyotype`` (normal/abnormal), ``trilineage_ok``.
    """
    errors: list[FieldError] = []

    def number(key: str, low: float, high: float | None) -> float | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            result = float(value)
        except (TypeError, ValueError):
            errors.append(FieldError(key, f"must be a number, got {value!r}"))
            return None
        if not math.isfinite(result) or result < low or (high is not None and result > high):
            span = f"{low}-{high}" if high is not None else f">= {low}"
            errors.append(FieldError(key, f"must be {span}, got {value!r}"))
            return None
        return result

    def choice(key: str, enum: type[StrEnum]):
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return enum(str(value).strip().lower())
        except ValueError:
            allowed = "/".join(e.value for e in enum)
            errors.append(FieldError(key, f"must be {allowed}, got {value!r}"))
            return None

    def flag(key: str) -> bool | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"yes", "true", "1", "conforms", "pass"}:
            return True
        if text in {"no", "false", "0", "does not conform", "fail"}:
            return False
        errors.append(FieldError(key, f"must be yes or no, got {value!r}"))
        return None

    markers = {}
    for key in MARKER_LABELS:
        value = number(key, 0, 100)
        if value is not None:
            markers[key] = value
    results = QcResults(
        viability_pct=number("viability_pct", 0, 100),
        viable_cells=number("viable_cells", 0, None),
        markers=markers,
        sterility=choice("sterility", Microbial),
        mycoplasma=choice("mycoplasma", Microbial),
        endotoxin_eu_per_ml=number("endotoxin_eu_per_ml", 0, None),
        appearance_ok=flag("appearance_ok"),
        karyotype=choice("karyotype", Karyotype),
        trilineage_ok=flag("trilineage_ok"),
    )
    if errors:
        raise ValidationError(errors)
    return results


def evaluate_release(
    criteria: ReleaseCriteria,
    results: QcResults,
    *,
    dose_volume_ml: float,
    weight_kg: float | None,
) -> ReleaseEvaluation:
    """Evaluate every release criterion of one lot.

    ``dose_volume_ml`` is the formulated volume (ml) and ``weight_kg`` the recipient's (the
    donor's) current weight, needed for a per-kg viable count range and for the endotoxin limit
    in EU/kg. Missing results or inputs give ``pending``; nothing is assumed.
    """
    out: list[CriterionResult] = []
    out.append(
        _at_least("viability", "Viability", results.viability_pct, criteria.viability_min_pct)
    )
    out.append(_viable_count(criteria, results.viable_cells, weight_kg))
    out.extend(_marker(limit, results.markers) for limit in criteria.markers)
    if criteria.sterility_required:
        out.append(_negative_test("sterility", "Sterility", results.sterility))
    if criteria.mycoplasma_required:
        out.append(_negative_test("mycoplasma", "Mycoplasma", results.mycoplasma))
    out.append(_endotoxin(criteria, results.endotoxin_eu_per_ml, dose_volume_ml, weight_kg))
    out.append(
        _yes(
            "appearance",
            "Appearance",
            results.appearance_ok,
            criteria.appearance,
            "conforms",
            "does not conform",
        )
    )
    if criteria.karyotype_required:
        observed = results.karyotype.value if results.karyotype else "not entered"
        outcome = (
            Outcome.PENDING
            if results.karyotype is None
            else Outcome.PASS
            if results.karyotype is Karyotype.NORMAL
            else Outcome.FAIL
        )
        out.append(CriterionResult("karyotype", "Karyotype", "normal", observed, outcome))
    if criteria.trilineage_required:
        out.append(
            _yes(
                "trilineage",
                "Trilineage differentiation",
                results.trilineage_ok,
                "osteo-, adipo- and chondrogenic",
                "shown",
                "not shown",
            )
        )
    return ReleaseEvaluation(tuple(out))


def _at_least(key, label, value, minimum) -> CriterionResult:
    requirement = f">= {minimum:g}%"
    if value is None:
        return CriterionResult(key, label, requirement, "not entered", Outcome.PENDING)
    outcome = Outcome.PASS if value >= minimum else Outcome.FAIL
    return CriterionResult(key, label, requirement, f"{value:g}%", outcome)


def _viable_count(criteria: ReleaseCriteria, viable, weight_kg) -> CriterionResult:
    label = "Viable cell count"
    unit = "cells/kg" if criteria.viable_count_per_kg else "cells"
    span = f"{criteria.viable_count_min:.3g} to {criteria.viable_count_max:.3g} {unit}"
    observed = "not entered" if viable is None else f"{viable:.3g} cells"
    cells = criteria.viable_range_cells(weight_kg)
    if cells is None:
        return CriterionResult(
            "viable_cells", label, f"{span} (no weight recorded)", observed, Outcome.PENDING
        )
    low, high = cells
    requirement = (
        span if not criteria.viable_count_per_kg else f"{span}: {low:.3g}-{high:.3g} cells"
    )
    if viable is None:
        return CriterionResult("viable_cells", label, requirement, observed, Outcome.PENDING)
    outcome = Outcome.PASS if low <= viable <= high else Outcome.FAIL
    return CriterionResult("viable_cells", label, requirement, observed, outcome)


def _marker(limit: MarkerLimit, markers) -> CriterionResult:
    """One marker (or a choice such as CD14 or CD11b): each one measured must meet the limit."""
    requirement = f"{'>=' if limit.limit == 'min' else '<='} {limit.percent:g}%"
    measured = {m: markers[m] for m in limit.alternatives if m in markers}
    if not measured:
        return CriterionResult(limit.key, limit.label, requirement, "not entered", Outcome.PENDING)
    observed = ", ".join(f"{MARKER_LABELS.get(m, m)} {v:g}%" for m, v in measured.items())
    ok = all(
        (v >= limit.percent) if limit.limit == "min" else (v <= limit.percent)
        for v in measured.values()
    )
    return CriterionResult(
        limit.key, limit.label, requirement, observed, Outcome.PASS if ok else Outcome.FAIL
    )


def _negative_test(key, label, value: Microbial | None) -> CriterionResult:
    if value is None:
        return CriterionResult(key, label, "negative", "not entered", Outcome.PENDING)
    outcome = Outcome.PASS if value is Microbial.NEGATIVE else Outcome.FAIL
    return CriterionResult(key, label, "negative", value.value, outcome)


def _yes(key, label, value: bool | None, requirement: str, yes: str, no: str) -> CriterionResult:
    if value is None:
        return CriterionResult(key, label, requirement, "not entered", Outcome.PENDING)
    outcome = Outcome.PASS if value else Outcome.FAIL
    return CriterionResult(key, label, requirement, yes if value else no, outcome)


def _endotoxin(criteria, eu_per_ml, volume_ml, weight_kg) -> CriterionResult:
    """EU/kg = EU/ml x dose volume (ml) / weight (kg); strictly below the limit passes."""
    requirement = f"< {criteria.endotoxin_max_eu_per_kg:g} EU/kg"
    if eu_per_ml is None:
        return CriterionResult(
            "endotoxin", "Endotoxin", requirement, "not entered", Outcome.PENDING
        )
    if weight_kg is None:
        return CriterionResult(
            "endotoxin",
            "Endotoxin",
            requirement,
            f"{eu_per_ml:g} EU/ml (no weight recorded)",
            Outcome.PENDING,
        )
    per_kg = eu_per_ml * volume_ml / weight_kg
    outcome = Outcome.PASS if per_kg < criteria.endotoxin_max_eu_per_kg else Outcome.FAIL
    observed = f"{per_kg:.3g} EU/kg ({eu_per_ml:g} EU/ml x {volume_ml:g} ml / {weight_kg:g} kg)"
    return CriterionResult("endotoxin", "Endotoxin", requirement, observed, outcome)


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

"""Quality control of a cell lot and the evaluation of its release criteria.

Rules: DOMAIN.md section 7.
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
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from alstrial.domain.errors import FieldError, ValidationError

#: ISCT positive markers (Dominici 2006): each >= 95% of cells.
ISCT_POSITIVE = ("cd105", "cd73", "cd90")
#: ISCT negative markers: each <= 2%. A tuple is a choice: either marker may be measured.
ISCT_NEGATIVE: tuple[tuple[str, ...], ...] = (
    ("cd45",),
    ("cd34",),
    ("cd14", "cd11b"),
    ("cd79a", "cd19"),
    ("hla_dr",),
)
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
#: Endotoxin limit for intrathecal and intraspinal products, EU per kg (DOMAIN.md section 7).
INTRATHECAL_ENDOTOXIN_EU_PER_KG = 0.2


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
    """Release thresholds from the protocol (percent of cells, cells, EU/kg)."""

    viability_min_pct: float = 70.0
    #: the lot's viable cells must be at least the dose and at most ``max_dose_multiple`` x dose
    max_dose_multiple: float = 1.5
    positive_marker_min_pct: float = 95.0
    negative_marker_max_pct: float = 2.0
    endotoxin_max_eu_per_kg: float = INTRATHECAL_ENDOTOXIN_EU_PER_KG
    karyotype_required: bool = False
    trilineage_required: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ReleaseCriteria:
        """Build from a protocol's ``release`` table; unknown keys are an error naming the key."""
        known = {f.name for f in fields(cls)}
        errors = [
            FieldError(f"release.{key}", "unknown release criterion")
            for key in data
            if key not in known
        ]
        if errors:
            raise ValidationError(errors)
        criteria = cls(**dict(data))
        criteria.validate()
        return criteria

    def validate(self) -> None:
        errors = []
        for name, low, high in (
            ("viability_min_pct", 0, 100),
            ("positive_marker_min_pct", 0, 100),
            ("negative_marker_max_pct", 0, 100),
        ):
            value = getattr(self, name)
            if not _finite(value) or not low <= value <= high:
                errors.append(
                    FieldError(f"release.{name}", f"must be {low}-{high}%, got {value!r}")
                )
        if not _finite(self.max_dose_multiple) or self.max_dose_multiple < 1:
            errors.append(FieldError("release.max_dose_multiple", "must be a number >= 1"))
        if not _finite(self.endotoxin_max_eu_per_kg) or self.endotoxin_max_eu_per_kg <= 0:
            errors.append(
                FieldError("release.endotoxin_max_eu_per_kg", "must be a positive number")
            )
        if errors:
            raise ValidationError(errors)


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
    dose_cells: float | None,
    dose_volume_ml: float,
    weight_kg: float | None,
) -> ReleaseEvaluation:
    """Evaluate every release criterion of one lot.

    ``dose_cells`` is the dose this lot must deliver (cells; ``None`` when it cannot be computed
    yet, e.g. no weight for a per-kg rule), ``dose_volume_ml`` the formulated volume (ml) and
    ``weight_kg`` the recipient's (the donor's) current weight, needed for the endotoxin limit in
    EU/kg. Missing inputs give ``pending``; nothing is assumed.
    """
    out: list[CriterionResult] = []
    out.append(
        _at_least("viability", "Viability", results.viability_pct, criteria.viability_min_pct, "%")
    )
    out.append(_viable_count(criteria, results.viable_cells, dose_cells))
    for key in ISCT_POSITIVE:
        label = MARKER_LABELS[key]
        out.append(
            _at_least(key, label, results.markers.get(key), criteria.positive_marker_min_pct, "%")
        )
    for group in ISCT_NEGATIVE:
        out.append(_negative_marker(group, results.markers, criteria.negative_marker_max_pct))
    out.append(_negative_test("sterility", "Sterility", results.sterility))
    out.append(_negative_test("mycoplasma", "Mycoplasma", results.mycoplasma))
    out.append(_endotoxin(criteria, results.endotoxin_eu_per_ml, dose_volume_ml, weight_kg))
    out.append(_yes("appearance", "Appearance", results.appearance_ok, "conforms"))
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
        out.append(_yes("trilineage", "Trilineage differentiation", results.trilineage_ok, "shown"))
    return ReleaseEvaluation(tuple(out))


def _at_least(key, label, value, minimum, unit) -> CriterionResult:
    requirement = f">= {minimum:g}{unit}"
    if value is None:
        return CriterionResult(key, label, requirement, "not entered", Outcome.PENDING)
    outcome = Outcome.PASS if value >= minimum else Outcome.FAIL
    return CriterionResult(key, label, requirement, f"{value:g}{unit}", outcome)


def _viable_count(criteria: ReleaseCriteria, viable, dose_cells) -> CriterionResult:
    label = "Viable cell count"
    if dose_cells is None:
        requirement = f"dose to {criteria.max_dose_multiple:g} x dose (dose not yet computed)"
        observed = "not entered" if viable is None else f"{viable:.3g} cells"
        return CriterionResult("viable_cells", label, requirement, observed, Outcome.PENDING)
    high = dose_cells * criteria.max_dose_multiple
    requirement = f"{dose_cells:.3g} to {high:.3g} cells"
    if viable is None:
        return CriterionResult("viable_cells", label, requirement, "not entered", Outcome.PENDING)
    outcome = Outcome.PASS if dose_cells <= viable <= high else Outcome.FAIL
    return CriterionResult("viable_cells", label, requirement, f"{viable:.3g} cells", outcome)


def _negative_marker(group, markers, maximum) -> CriterionResult:
    """A negative marker (or a choice such as CD14 or CD11b): each one measured must be <= max."""
    key = "_or_".join(group)
    label = " or ".join(MARKER_LABELS[m] for m in group)
    requirement = f"<= {maximum:g}%"
    measured = {m: markers[m] for m in group if m in markers}
    if not measured:
        return CriterionResult(key, label, requirement, "not entered", Outcome.PENDING)
    observed = ", ".join(f"{MARKER_LABELS[m]} {v:g}%" for m, v in measured.items())
    outcome = Outcome.PASS if all(v <= maximum for v in measured.values()) else Outcome.FAIL
    return CriterionResult(key, label, requirement, observed, outcome)


def _negative_test(key, label, value: Microbial | None) -> CriterionResult:
    if value is None:
        return CriterionResult(key, label, "negative", "not entered", Outcome.PENDING)
    outcome = Outcome.PASS if value is Microbial.NEGATIVE else Outcome.FAIL
    return CriterionResult(key, label, "negative", value.value, outcome)


def _yes(key, label, value: bool | None, word: str) -> CriterionResult:
    if value is None:
        return CriterionResult(key, label, word, "not entered", Outcome.PENDING)
    return CriterionResult(
        key, label, word, word if value else f"not {word}", Outcome.PASS if value else Outcome.FAIL
    )


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

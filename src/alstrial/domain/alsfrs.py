"""ALSFRS-R scoring: validation, total, subscores and the disease progression rate (dFS).

Rules: docs/domain.md, 'ALSFRS-R' and 'Time, slopes and progression' (Cedarbaum et al. 1999; Kimura
et al. 2006). Every entry point (web form, API schema, importers, command line) validates through
:func:`validate_items`, so a rule lives in exactly one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

from alstrial.domain.alsfrs_items import (
    CUTTING_KEYS,
    ITEM_BY_KEY,
    ITEM_KEYS,
    ITEMS,
    SCORED_ORDER_WITH_GASTROSTOMY,
    SCORED_ORDER_WITHOUT_GASTROSTOMY,
    Domain,
)
from alstrial.domain.errors import FieldError, ValidationError

MAX_TOTAL = 48
MAX_ITEM = 4
ORIGINAL_MAX_TOTAL = 40
ORIGINAL_RESPIRATORY_KEY = "respiratory"


def _label(key: str) -> str:
    """``item 5a (cutting_without_gastrostomy)``: how messages name an item."""
    if key in ITEM_BY_KEY:
        return f"item {ITEM_BY_KEY[key].number} ({key})"
    if key == ORIGINAL_RESPIRATORY_KEY:
        return "item 10 (respiratory, original ALSFRS)"
    return key


def _is_blank(value: Any) -> bool:
    """Not scored: ``None``, an empty string, or NaN (how pandas reads an empty CSV cell)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, Real) and not isinstance(value, Integral) and math.isnan(value)


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _check_score(key: str, value: Any) -> int:
    """One item score as an int 0-4, or a FieldError naming the item."""
    label = _label(key)
    if isinstance(value, bool) or value is None:
        raise FieldError(key, f"{label} must be an integer 0-4, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only: str.isdigit() also accepts superscripts such as "²", which int()
        # then refuses.
        if not _WHOLE_NUMBER.fullmatch(text):
            raise FieldError(key, f"{label} must be an integer 0-4, got {value!r}")
        value = int(text)
    elif isinstance(value, Real) and not isinstance(value, Integral):
        # NaN and infinity are not whole numbers (and int() of them would raise).
        if not math.isfinite(value) or float(value) != int(value):
            raise FieldError(key, f"{label} must be a whole number 0-4, got {value!r}")
        value = int(value)
    elif not isinstance(value, Integral):
        raise FieldError(key, f"{label} must be an integer 0-4, got {value!r}")
    value = int(value)
    if not 0 <= value <= MAX_ITEM:
        raise FieldError(key, f"{label} must be between 0 and 4, got {value}")
    return value


def validate_items(items: Mapping[str, Any]) -> dict[str, int]:
    """Validate one visit's ALSFRS-R items and return them as ``{key: int}``.

    ``items`` maps the keys of docs/domain.md, 'ALSFRS-R' to scores; a missing key or ``None`` means
    not scored. Exactly one of 5a (``cutting_without_gastrostomy``) and 5b
    (``cutting_with_gastrostomy``) must be scored. Raises :class:`ValidationError` listing every
    bad field, so a form can show each error next to its field.
    """
    errors: list[FieldError] = []
    # A blank unknown key (e.g. the original scale's empty Q10 column) carries no score.
    unknown = sorted((k for k in set(items) - set(ITEM_KEYS) if not _is_blank(items[k])), key=str)
    errors.extend(FieldError(str(key), f"unknown ALSFRS-R item {key!r}") for key in unknown)
    clean: dict[str, int] = {}
    for key in ITEM_KEYS:
        value = items.get(key)
        if _is_blank(value):
            continue
        try:
            clean[key] = _check_score(key, value)
        except FieldError as error:
            errors.append(error)
    for key in ITEM_KEYS:
        if key in CUTTING_KEYS or key in clean or any(e.field == key for e in errors):
            continue
        item = ITEM_BY_KEY[key]
        errors.append(FieldError(key, f"item {item.number} ({key}) is required"))
    scored_cutting = [k for k in CUTTING_KEYS if k in clean or any(e.field == k for e in errors)]
    if len(scored_cutting) == 2:
        errors.append(
            FieldError(
                "cutting_with_gastrostomy",
                "score item 5a (without gastrostomy) or 5b (with gastrostomy), not both",
            )
        )
    elif not scored_cutting:
        errors.append(
            FieldError(
                "cutting_without_gastrostomy",
                "item 5 is required: score 5a (without gastrostomy) or 5b (with gastrostomy)",
            )
        )
    if errors:
        raise ValidationError(errors)
    return clean


@dataclass(frozen=True)
class AlsfrsR:
    """One validated ALSFRS-R visit. Build it with :meth:`from_items` or :meth:`from_sequence`."""

    items: Mapping[str, int]

    @classmethod
    def from_items(cls, items: Mapping[str, Any]) -> AlsfrsR:
        # Read-only, so that a validated visit cannot be changed behind its total.
        return cls(items=MappingProxyType(validate_items(items)))

    @classmethod
    def from_sequence(
        cls, scores: list[Any] | tuple[Any, ...], gastrostomy: bool = False
    ) -> AlsfrsR:
        """Twelve scores in questionnaire order 1..12; item 5 is 5b when ``gastrostomy``."""
        if len(scores) != 12:
            raise ValidationError(
                [FieldError("items", f"expected 12 item scores, got {len(scores)}")]
            )
        order = SCORED_ORDER_WITH_GASTROSTOMY if gastrostomy else SCORED_ORDER_WITHOUT_GASTROSTOMY
        return cls.from_items(dict(zip(order, scores, strict=True)))

    def __getitem__(self, key: str) -> int:
        return self.items[key]

    @property
    def gastrostomy(self) -> bool:
        """True when item 5b was scored: the gastrostomy status used by King's staging."""
        return "cutting_with_gastrostomy" in self.items

    @property
    def cutting(self) -> int:
        """Item 5, whichever of 5a or 5b was scored."""
        key = CUTTING_KEYS[1] if self.gastrostomy else CUTTING_KEYS[0]
        return self.items[key]

    @property
    def total(self) -> int:
        """ALSFRS-R total, 0-48 points."""
        return alsfrs_total(self.items)

    def subscore(self, domain: Domain | str) -> int:
        return domain_subscore(self.items, Domain(domain))

    @property
    def bulbar(self) -> int:
        return self.subscore(Domain.BULBAR)

    @property
    def fine_motor(self) -> int:
        return self.subscore(Domain.FINE_MOTOR)

    @property
    def gross_motor(self) -> int:
        return self.subscore(Domain.GROSS_MOTOR)

    @property
    def respiratory(self) -> int:
        return self.subscore(Domain.RESPIRATORY)

    def subscores(self) -> dict[str, int]:
        return {domain.value: self.subscore(domain) for domain in Domain}

    def to_dict(self) -> dict:
        """Items, total (0-48), the four subscores (0-12) and the gastrostomy status."""
        return {
            "items": dict(self.items),
            "total": self.total,
            **self.subscores(),
            "gastrostomy": self.gastrostomy,
        }


def alsfrs_total(items: Mapping[str, int]) -> int:
    """Sum of the twelve scored items (0-48). ``items`` must already be validated."""
    return sum(int(items[item.key]) for item in ITEMS if item.key in items)


def domain_subscore(items: Mapping[str, int], domain: Domain) -> int:
    """Subscore of one domain, 0-12 points.

    Bulbar is items 1-3, fine motor 4-6, gross motor 7-9, respiratory 10-12.
    """
    return sum(int(items[i.key]) for i in ITEMS if i.domain == domain and i.key in items)


def check_stored_total(items: Mapping[str, Any], stored_total: Any) -> AlsfrsR:
    """Validate items and a total recorded beside them; a disagreement is an error, not trusted."""
    score = AlsfrsR.from_items(items)
    if not _is_blank(stored_total):
        try:
            if isinstance(stored_total, bool):
                raise TypeError("a boolean is not a total")
            stored = float(stored_total)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(
                [FieldError("alsfrs_r_total", f"total {stored_total!r} is not a number")]
            ) from None
        if stored != score.total:
            raise ValidationError(
                [
                    FieldError(
                        "alsfrs_r_total",
                        f"stored total {stored_total} differs from the item sum {score.total}",
                    )
                ]
            )
    return score


def validate_total(total: Any, field: str = "alsfrs_r_total", maximum: int = MAX_TOTAL) -> int:
    """A total recorded without items: an integer 0-48 (0-40 for the original ALSFRS)."""
    if isinstance(total, bool):
        raise FieldError(field, f"{field} must be a number 0-{maximum}, got {total!r}")
    if _is_blank(total):
        raise FieldError(field, f"{field} is required")
    try:
        number = float(total)
    except (TypeError, ValueError, OverflowError):
        raise FieldError(field, f"{field} must be a number 0-{maximum}, got {total!r}") from None
    if not math.isfinite(number) or number != int(number) or not 0 <= number <= maximum:
        raise FieldError(field, f"{field} must be a whole number 0-{maximum}, got {total!r}")
    return int(number)


def delta_fs(total: float, months_since_onset: float) -> float:
    """Disease progression rate dFS (Kimura et al. 2006): (48 - total) / months from onset.

    Points/month, positive; larger is faster progression. ``total`` is an ALSFRS-R total 0-48
    (never an original-ALSFRS total; a non-integer, e.g. from old decimal items, is accepted);
    ``months_since_onset`` must be > 0 and finite.
    """
    if isinstance(total, bool) or not (
        isinstance(total, Real) and math.isfinite(total) and 0 <= total <= MAX_TOTAL
    ):
        raise FieldError("alsfrs_r_total", f"an ALSFRS-R total is 0-{MAX_TOTAL}, got {total!r}")
    if isinstance(months_since_onset, bool) or not (
        isinstance(months_since_onset, Real)
        and math.isfinite(months_since_onset)
        and months_since_onset > 0
    ):
        raise FieldError(
            "months_since_onset", f"months since onset must be > 0, got {months_since_onset!r}"
        )
    return (MAX_TOTAL - float(total)) / float(months_since_onset)


@dataclass(frozen=True)
class AlsfrsOriginal:
    """The original 10-item ALSFRS (0-40): items 1-9 and a single respiratory item.

    Kept apart from :class:`AlsfrsR`: the two totals are never mixed or converted silently.
    """

    items: Mapping[str, int]

    @classmethod
    def from_items(cls, items: Mapping[str, Any]) -> AlsfrsOriginal:
        keys = [i.key for i in ITEMS if i.domain != Domain.RESPIRATORY] + [ORIGINAL_RESPIRATORY_KEY]
        # An ALSFRS-R respiratory item here means the two scales are being mixed: refuse it.
        errors = [
            FieldError(str(key), f"{key!r} is not an item of the original ALSFRS")
            for key in sorted(set(items) - set(keys), key=str)
            if not _is_blank(items[key])
        ]
        clean: dict[str, int] = {}
        for key in keys:
            value = items.get(key)
            if _is_blank(value):
                if key not in CUTTING_KEYS:
                    errors.append(FieldError(key, f"{_label(key)} is required"))
                continue
            try:
                clean[key] = _check_score(key, value)
            except FieldError as error:
                errors.append(error)
        if sum(k in clean for k in CUTTING_KEYS) != 1 and not any(
            e.field in CUTTING_KEYS for e in errors
        ):
            errors.append(FieldError("cutting_without_gastrostomy", "score exactly one of 5a/5b"))
        if errors:
            raise ValidationError(errors)
        return cls(items=MappingProxyType(clean))

    @property
    def total(self) -> int:
        """Original ALSFRS total, 0-40 points."""
        return sum(self.items.values())

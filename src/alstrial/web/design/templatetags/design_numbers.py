"""Number formatting for the statistician pages: one rounding rule (Python's ``format``), the
exact value kept in a ``data-value`` attribute so that tests compare the page with the pure
functions without rounding."""

from __future__ import annotations

import math

from django import template

register = template.Library()

#: Shown for a number that does not exist (NaN: e.g. Edland's power where it does not apply).
MISSING = "–"


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def fixed(value, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, or a dash when it is missing or not finite."""
    number = _number(value)
    return MISSING if number is None else f"{number:.{int(digits)}f}"


@register.filter
def exact(value) -> str:
    """The full-precision ``repr`` of a float (``nan`` when missing), for ``data-value``."""
    number = _number(value)
    return "nan" if number is None else repr(number)


@register.filter
def plain(value) -> str:
    """A parameter value as written (``0.6``, ``20``, ``1e-05``), or a dash when missing."""
    number = _number(value)
    return MISSING if number is None else f"{number:g}"


@register.filter
def months(values) -> str:
    """Visit months as a list (``-3, -2, -1, 0``)."""
    return ", ".join(plain(v) for v in values)

"""Small result objects shared by the analysis modules, and JSON helpers.

Every result is a frozen dataclass with ``to_dict()`` (JSON-ready: NaN becomes ``None``) and,
where tabular, ``summary()`` (a DataFrame). The command line, the report and the web pages all
render these objects, so a number is computed once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """A JSON-ready scalar: NaN, infinity and NA become None, numpy scalars Python numbers."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN or infinity: no JSON number; "not available"
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a DataFrame."""
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test: ``test`` names it, ``method`` says how p was computed (e.g.
    ``exact`` or ``normal approximation with continuity correction``), ``n`` the values used."""

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    p_value: float
    method: str
    n: int | tuple[int, int]
    alternative: str = "two-sided"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "statistic": plain(self.statistic),
            "p_value": plain(self.p_value),
            "method": self.method,
            "n": plain(self.n),
            "alternative": self.alternative,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval (same units as the estimate)."""

    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": plain(self.estimate),
            "ci": [plain(self.ci_low), plain(self.ci_high)],
            "confidence": self.confidence,
            "method": self.method,
        }


NAN = float("nan")

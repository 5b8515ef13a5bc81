"""The locked analysis plan's fingerprint: a SHA-256 over a canonical JSON of what was frozen
(docs/analysis.md, "Analysis plan").

Canonical JSON: keys sorted, no insignificant whitespace, UTF-8, no NaN or infinity (refused, as
JSON has none), floats as Python's shortest round-trip text. The same content therefore always
gives the same hash, whatever the key order or the machine, and any changed value changes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from alstrial.domain.errors import FieldError

#: The parts of a lock, in the order the report lists deviations from them.
LOCKED_PARTS = ("protocol_sha256", "plan", "settings", "operating_characteristics")


def canonical_json(content: Any) -> str:
    """``content`` as canonical JSON text; a NaN or infinite number is a :class:`FieldError`."""
    try:
        return json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as error:
        raise FieldError("plan", f"cannot be locked: {error}") from None


def plan_sha256(content: Any) -> str:
    """Hex SHA-256 of the UTF-8 bytes of :func:`canonical_json` of ``content``."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def deviations(locked: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """One sentence per locked part (:data:`LOCKED_PARTS`, ``operating_characteristics``
    excepted: they describe the design, not this run) or per setting that differs now. A part
    missing from ``current`` is not compared (an analysis of files knows no protocol hash)."""
    found = []
    if "protocol_sha256" in current and locked.get("protocol_sha256") != current["protocol_sha256"]:
        found.append(
            f"protocol changed since the lock: sha256 {str(current.get('protocol_sha256'))[:12]} "
            f"instead of {str(locked.get('protocol_sha256'))[:12]}"
        )
    if "plan" in current and locked.get("plan") != current["plan"]:
        found.append(
            f"analysis plan {current.get('plan')} instead of the locked {locked.get('plan')}"
        )
    was, now = locked.get("settings") or {}, current.get("settings") or {}
    for key in sorted(set(was) | set(now)):
        if was.get(key) != now.get(key):
            found.append(f"setting {key}: {now.get(key)!r} instead of the locked {was.get(key)!r}")
    return found


@dataclass(frozen=True)
class LockedPlan:
    """A locked analysis plan as the analysis reads it: its hash, when it was locked (ISO 8601,
    UTC) and the locked content (:data:`LOCKED_PARTS`)."""

    sha256: str
    locked_at: str
    content: dict[str, Any]

    @property
    def type_i_error(self) -> float | None:
        """The design's simulated type I error of the primary, frozen at the lock."""
        characteristics = self.content.get("operating_characteristics") or {}
        return characteristics.get("type_i_error")

    def verify(self) -> None:
        """Refuse a content that does not hash to ``sha256`` (a lock edited after the fact)."""
        if plan_sha256(self.content) != self.sha256:
            raise FieldError("plan", f"locked content does not match its sha256 {self.sha256}")

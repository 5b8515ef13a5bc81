"""Case report form metadata as data: forms, their items, types, allowed values and units.

The web layer builds the specs from the Django models and the protocol
(``alstrial.web.exchange.forms``); the data dictionary and the ODM study metadata are written
from the same specs, so a data manager reviews exactly what the ODM file declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: ODM 1.3.2 DataType of each item type.
ODM_TYPES = {
    "integer": "integer",
    "float": "float",
    "text": "text",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}


@dataclass(frozen=True)
class ItemSpec:
    """One field: ``name`` (column), ``label``, ``type`` (a key of ODM_TYPES), ``allowed``
    (code -> decode; empty = free), ``units``, ``range`` (text, e.g. ``0-200``)."""

    name: str
    label: str
    type: str
    allowed: dict[str, str] = field(default_factory=dict)
    units: str = ""
    range: str = ""
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class FormSpec:
    """One form: ``key`` (protocol form key), ``label``, ``items``; ``repeating`` forms (adverse
    events) may occur several times per subject and are not tied to a visit."""

    key: str
    label: str
    items: tuple[ItemSpec, ...]
    repeating: bool = False

    def item(self, name: str) -> ItemSpec:
        for spec in self.items:
            if spec.name == name:
                return spec
        raise KeyError(f"form {self.key} has no item {name}")

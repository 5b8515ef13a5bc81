"""Pure ALS and trial knowledge: scoring, staging, protocols, release criteria, AE grading.

No Django and no I/O here: every other layer calls these rules, so each lives in one place.
"""

from alstrial.domain.alsfrs import AlsfrsOriginal, AlsfrsR, alsfrs_total, delta_fs, validate_items
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.staging import KingsStage, kings_stage, mitos_stage

__all__ = [
    "AlsfrsOriginal",
    "AlsfrsR",
    "FieldError",
    "KingsStage",
    "ValidationError",
    "alsfrs_total",
    "delta_fs",
    "kings_stage",
    "mitos_stage",
    "validate_items",
]

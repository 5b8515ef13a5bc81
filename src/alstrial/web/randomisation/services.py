"""The one door for allocating subjects of a randomised trial, and for emergency unblinding.

Readers for other apps: :func:`is_randomised` (safe everywhere) and :func:`arm_of` (the arm
code; only for code paths that serve an unblinded role or the cell laboratory).
"""

from __future__ import annotations

from alstrial.web.randomisation.models import Allocation
from alstrial.web.subjects.models import Subject


def is_randomised(subject: Subject) -> bool:
    """True when ``subject`` has been allocated (reveals nothing about the arm)."""
    return Allocation._base_manager.filter(subject_id=subject.pk).exists()


def arm_of(subject: Subject) -> str | None:
    """The arm code of ``subject`` (e.g. ``MSC``), None when not randomised.

    For unblinded code paths only (the cell laboratory preparing active or placebo, the
    unblinded statistician, an approved emergency unblinding): a caller that serves a blinded
    role must not show it or anything derived from it (docs/randomisation.md, "Blinding").
    """
    return (
        Allocation._base_manager.filter(subject_id=subject.pk).values_list("arm", flat=True).first()
    )

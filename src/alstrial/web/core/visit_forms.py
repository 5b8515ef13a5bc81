"""Which case report forms exist, and whether one is done at a visit.

The protocol declares the forms each visit requires (``Visit.forms``, keys from
``alstrial.domain.protocol.FORMS``). Each app registers the forms it implements, in its
``AppConfig.ready()``::

    register_visit_form(VisitForm("harvest", "Bone marrow harvest", is_done, url))

``is_done(visit) -> bool`` and ``url(visit) -> str | None`` (the page to enter or view it).
The subject page shows every required form as done, missing (visit past, form absent),
to do, or "not in this app" when no app implements it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class VisitForm:
    key: str
    label: str
    is_done: Callable[[object], bool]
    url: Callable[[object], str | None]


_REGISTRY: dict[str, VisitForm] = {}


def register_visit_form(form: VisitForm) -> None:
    """Declare that an app implements form ``form.key`` (a key of the protocol's FORMS)."""
    _REGISTRY[form.key] = form


def visit_form(key: str) -> VisitForm | None:
    return _REGISTRY.get(key)


def registered_forms() -> dict[str, VisitForm]:
    return dict(_REGISTRY)

"""Which case report forms exist, and whether one is done at a visit.

The protocol declares the forms each visit requires (``Visit.forms``, keys from
``alstrial.domain.protocol.FORMS``). Each app registers the forms it implements, in its
``AppConfig.ready()``::

    register_visit_form(VisitForm("harvest", "Bone marrow harvest", is_done, url))

``is_done(visit) -> bool`` and ``url(visit) -> str | None`` (the page to enter or view it);
optionally ``done_visit_ids(visit_ids) -> set[int]``, the same answer for many visits in one
query (the dashboard uses it).
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
    done_visit_ids: Callable[[list[int]], set[int]] | None = None


_REGISTRY: dict[str, VisitForm] = {}


def register_visit_form(form: VisitForm) -> None:
    """Declare that an app implements form ``form.key`` (a key of the protocol's FORMS)."""
    _REGISTRY[form.key] = form


def visit_form(key: str) -> VisitForm | None:
    return _REGISTRY.get(key)


def registered_forms() -> dict[str, VisitForm]:
    return dict(_REGISTRY)


def done_forms(visits) -> set[tuple[int, str]]:
    """``{(visit id, form key)}`` of the forms done at ``visits`` (bulk where the form can)."""
    visits = list(visits)
    done: set[tuple[int, str]] = set()
    keys = {key for visit in visits for key in visit.forms}
    for key in keys:
        form = _REGISTRY.get(key)
        if form is None:
            continue
        wanted = [visit for visit in visits if key in visit.forms]
        if form.done_visit_ids is not None:
            ids = form.done_visit_ids([visit.pk for visit in wanted])
            done.update((visit_id, key) for visit_id in ids)
        else:
            done.update((visit.pk, key) for visit in wanted if form.is_done(visit))
    return done

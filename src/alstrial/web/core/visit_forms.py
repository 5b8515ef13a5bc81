"""Which case report forms exist, and whether one is done at a visit.

The protocol declares the forms each visit requires (``Visit.forms``, keys from
``alstrial.domain.protocol.FORMS``). Each app registers the forms it implements, in its
``AppConfig.ready()``::

    register_visit_form(VisitForm("harvest", "Bone marrow harvest", is_done, url))

``is_done(visit) -> bool`` and ``url(visit) -> str | None`` (the page to enter or view it);
optionally ``done_visits(visit_ids)``, the same answer for many visits: a queryset whose
``done_visit_field`` (default ``visit_id``) is the id of each visit where the form is done.
:func:`done_forms` asks every such form in one UNION query (the subject page, the dashboard).
The subject page shows every required form as done, missing (visit past, form absent),
to do, or "not in this app" when no app implements it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import CharField, QuerySet, Value
from django.urls import get_script_prefix, reverse


@dataclass(frozen=True)
class VisitForm:
    key: str
    label: str
    is_done: Callable[[object], bool]
    url: Callable[[object], str | None]
    done_visits: Callable[[list[int]], QuerySet] | None = None
    done_visit_field: str = "visit_id"
    #: The roles whose view of ``url`` opens (the roles its view is decorated with); empty: every
    #: role. The subject page links the form only for these (docs/web.md, 'Errors you can see').
    roles: tuple[str, ...] = ()


_REGISTRY: dict[str, VisitForm] = {}


def register_visit_form(form: VisitForm) -> None:
    """Declare that an app implements form ``form.key`` (a key of the protocol's FORMS)."""
    _REGISTRY[form.key] = form


def visit_form(key: str) -> VisitForm | None:
    return _REGISTRY.get(key)


def registered_forms() -> dict[str, VisitForm]:
    return dict(_REGISTRY)


def done_forms(visits, among=None) -> set[tuple[int, str]]:
    """``{(visit id, form key)}`` of the forms done at ``visits`` that those visits require: the
    forms with a bulk lookup in one UNION query, the others visit by visit.

    ``among``: optionally a queryset selecting exactly ``visits``; the bulk lookups then use it
    as a subquery instead of a list of ids (a trial's thousands of ids cost more to send than
    to look up)."""
    visits = list(visits)
    required = {visit.pk: visit.forms for visit in visits}
    ids = among.order_by().values("pk") if among is not None else list(required)
    done: set[tuple[int, str]] = set()
    bulk = []
    for key in sorted({key for visit in visits for key in visit.forms}):
        form = _REGISTRY.get(key)
        if form is None:
            continue
        if form.done_visits is not None:
            records = form.done_visits(ids).order_by()
            bulk.append(records.values_list(form.done_visit_field, Value(key, CharField())))
        else:
            done.update((v.pk, key) for v in visits if key in v.forms and form.is_done(v))
    if bulk:
        rows = bulk[0].union(*bulk[1:], all=True)
        done.update((pk, key) for pk, key in rows if key in required.get(pk, ()))
    return done


def visit_url(viewname: str, key: str) -> Callable[[object], str]:
    """``visit -> reverse(viewname, args=[visit.pk, key])``, with one ``reverse()`` per form
    instead of one per link: the subject page and the dashboard write dozens of these links
    per request and ``reverse()`` costs about 40 us each."""

    def url(visit) -> str:
        return _url_pattern(viewname, key, get_script_prefix()).replace(_PK, str(visit.pk))

    return url


#: A visit id no database reaches, marking where the real id goes in the reversed URL.
_PK = "987654321987654321"


@lru_cache(maxsize=256)
def _url_pattern(viewname: str, key: str, prefix: str) -> str:
    pattern = reverse(viewname, args=[int(_PK), key])
    if pattern.count(_PK) != 1:  # the key itself would contain the marker
        raise ValueError(f"cannot build {viewname} links for form {key!r}")
    return pattern

"""The access-control matrix: every route (Django's URL resolver and the ninja API router) x
every role x the user's own site and another site, against the answers written in ``WEB`` and
``API`` below. A route missing from the tables (a new page or API operation) fails the test
with the observed lines to review and paste.

The world is the demo (``load_all_demo_data``: both sites, subjects, product and safety records).
Each role is held by one user at Seoul only; "own" requests name a Seoul object, "other" the same
kind of object at Novara. Web pages are requested with GET and with an empty POST (refused or
answered with form errors: nothing valid is sent, so nothing changes); API operations with their
own method and a JSON body of the wrong shape (nothing changes).

Answers: ``200``, ``302`` (a redirect other than to the log-in page), ``login`` (redirect to the
log-in page), ``400``/``401``/``403``/``404``/``405``/``409``/``422``, ``-`` (not requested).
Each cell string lists the roles in ``ROLES`` order. Other-site answers default to 404 for every
logged-in role (site isolation: existence does not leak) unless the table gives them.
"""

from __future__ import annotations

import re

import pytest
from access_matrix_expected import API, WEB
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROLES = (
    "coordinator",
    "investigator",
    "cell_lab",
    "safety_monitor",
    "statistician",
    "auditor",
    "admin",
    "unblinded_pharmacy",
    "dsmb_statistician",
    "monitor",
    "data_manager",
    "anonymous",
)
#: Routes outside the matrix, with the reason.
NOT_IN_MATRIX = {
    "admin:*": "Django admin: staff only, tested in tests/web/test_admin_and_commands.py",
}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern


def web_routes() -> dict[str, str]:
    """``{name: route}`` of every named page outside the API and the Django admin."""
    routes = {}
    for name, route, _ in _walk(get_resolver().url_patterns):
        if name.startswith(("admin:", "api-v1:")):
            continue
        routes[name] = route
    return routes


def api_operations() -> list[tuple[str, str]]:
    """``(METHOD, /api/v1/path)`` of every operation of the ninja API."""
    from alstrial.web.api.main import api

    found = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    found.append((method, f"/api/v1{prefix}{path}"))
    return found


def _classify(response) -> str:
    if response.status_code in (301, 302, 303):
        return "login" if "/accounts/login/" in response["Location"] else "302"
    return str(response.status_code)


# --- the world ---------------------------------------------------------------------------------

TRIAL_AT = {"seoul": "kim2009", "novara": "mazzini2003"}
#: Model of the ``pk`` (and ``subject_pk``/``visit_pk``) of each route.
PK_MODEL = {
    **dict.fromkeys(
        (
            "subjects:detail",
            "subjects:enrol",
            "subjects:correct",
            "subjects:identity",
            "subjects:withdraw",
            "product:subject",
            "product:harvest",
            "product:administer",
            "audit:subject",
            "audit:subject_csv",
            "randomisation:randomise",
            "randomisation:request_unblinding",
        ),
        "subjects.Subject",
    ),
    "randomisation:approve": "randomisation.UnblindingRequest",
    "subjects:visit": "subjects.Visit",
    "assessments:endpoint_edit": "assessments.EndpointEvent",
    "product:batch_create": "product.Harvest",
    **dict.fromkeys(
        ("product:batch", "product:passage", "product:lots_create", "product:deviation"),
        "product.Batch",
    ),
    **dict.fromkeys(
        (
            "product:lot",
            "product:qc",
            "product:qc_preview",
            "product:release",
            "product:prepare",
            "product:custody",
            "product:label",
        ),
        "product.Lot",
    ),
    **dict.fromkeys(
        ("safety:detail", "safety:follow_up", "safety:submit", "safety:code"),
        "safety.AdverseEvent",
    ),
    "safety:lift": "safety.StoppingTrigger",
    "safety:open_notification": "safety.Notification",
}
#: API path parameter -> model.
API_MODEL = {
    "subject_id": "subjects.Subject",
    "visit_id": "subjects.Visit",
    "assessment_id": "assessments.AlsfrsAssessment",
    "event_id": "safety.AdverseEvent",
    "lot_id": "product.Lot",
    "administration_id": "product.Administration",
    "unblinding_id": "randomisation.UnblindingRequest",
    "query_id": "dataquality.Query",
}
FIXED = {"table": "subjects", "form_key": "alsfrs_r", "kind": "initial", "name": "overview"}


def object_at(label: str, site: str) -> int:
    """The primary key of a ``label`` object of ``site`` in the demo world."""
    from django.apps import apps

    from alstrial.web.core.models import Site

    model = apps.get_model(label)
    site_obj = Site.objects.get(code=site)
    lookup = getattr(model, "site_lookup", "adverse_event__subject__site")  # Notification
    found = model.objects.filter(**{lookup: site_obj}).order_by("pk").first()
    if found is None:
        pytest.fail(f"the demo has no {label} at {site}: the matrix cannot test its routes")
    return found.pk


def web_kwargs(name: str, route: str, site: str) -> dict:
    from django.urls.resolvers import RoutePattern

    kwargs = {}
    for key in RoutePattern(route).converters:
        if key == "slug":
            kwargs[key] = TRIAL_AT[site]
        elif key == "visit_pk":
            kwargs[key] = object_at("subjects.Visit", site)
        elif key == "subject_pk":
            kwargs[key] = object_at("subjects.Subject", site)
        elif key == "pk":
            kwargs[key] = object_at(PK_MODEL[name], site)
        else:
            kwargs[key] = FIXED[key]
    return kwargs


@pytest.fixture
def world(settings):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from alstrial.web.core.demo import DemoContext, load_all_demo_data
    from alstrial.web.core.models import Site, SiteMembership

    settings.AXES_ENABLED = False
    load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))
    seoul = Site.objects.get(code="seoul")
    clients = {"anonymous": Client()}
    tokens = {"anonymous": None}
    from alstrial.web.api.tokens import issue_token

    users = {}
    for role in ROLES[:-1]:
        users[role] = user = get_user_model().objects.create_user(f"matrix.{role}")
        SiteMembership.objects.create(user=user, site=seoul, role=role)
        clients[role] = Client()
        clients[role].force_login(user)
        tokens[role] = issue_token(user)[0]
    _complete_the_world(users["safety_monitor"])
    return clients, tokens


def _complete_the_world(safety_monitor) -> None:
    """Objects the demo does not make: an endpoint event, a stopping trigger and a
    notification (to the matrix's safety monitor) at each site."""
    from django.utils import timezone

    from alstrial.web.assessments.models import EndpointEvent
    from alstrial.web.core.records import save_clinical
    from alstrial.web.safety.models import AdverseEvent, Notification, StoppingTrigger
    from alstrial.web.subjects.models import Subject
    from alstrial.web.trials.models import Trial

    admin = get_user_model_admin()
    for site, slug in TRIAL_AT.items():
        subject = Subject.objects.filter(site__code=site, visits__status="done").first()
        event = EndpointEvent(subject=subject, kind="tracheostomy", event_date=timezone.localdate())
        save_clinical(event, admin, "matrix world")
        StoppingTrigger.objects.create(
            trial=Trial.objects.get(slug=slug),
            rule="matrix rule",
            rule_key="matrix",
            action="dsmb_review",
            triggered_at=timezone.now(),
        )
        ae = AdverseEvent.objects.filter(subject__site__code=site).first()
        Notification.objects.create(user=safety_monitor, adverse_event=ae, message="matrix")
    # The demo's randomised trial runs at Seoul only: an unblinding request at Novara gives the
    # other-site column of the unblinding routes (made directly: its trial is not randomised).
    from alstrial.web.randomisation.models import UnblindingRequest

    novara = Subject.objects.filter(site__code="novara").first()
    request = UnblindingRequest(
        subject=novara, requested_by=admin, reason="matrix", requested_at=timezone.now()
    )
    save_clinical(request, admin, "matrix world")


def get_user_model_admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


# --- the test ------------------------------------------------------------------------------


def _converters(route: str) -> list[str]:
    from django.urls.resolvers import RoutePattern

    return list(RoutePattern(route).converters)


def _answers(clients, method: str, url: str, **extra) -> str:
    return " ".join(_classify(getattr(clients[role], method)(url, **extra)) for role in ROLES)


def observe_web(clients, name: str, route: str) -> tuple:
    """(GET own, POST own, GET other, POST other); the other-site pair is None for a page
    that names no object."""
    methods = ("get",) if name == "logout" else ("get", "post")  # POST would end the session
    sites = ("seoul", "novara") if _converters(route) else ("seoul",)
    cells: list = []
    for site in sites:
        url = reverse(name, kwargs=web_kwargs(name, route, site))
        cells += [_answers(clients, m, url) if m in methods else "-" for m in ("get", "post")]
    return tuple(cells) if len(sites) == 2 else (*cells, None, None)


def observe_api(clients, tokens, method: str, path: str) -> tuple:
    """(own, other) for an operation on an object; (all, None) for one without."""
    params = re.findall(r"{(\w+)}", path)
    cells: list = []
    for site in ("seoul", "novara") if params else ("seoul",):
        url = path
        for param in params:
            value = TRIAL_AT[site] if param == "slug" else object_at(API_MODEL[param], site)
            url = url.replace(f"{{{param}}}", str(value))
        answers = []
        for role in ROLES:
            token = tokens[role]
            if token and (method, path) == ("DELETE", "/api/v1/auth/token"):
                token = _fresh_token(role)  # revoking must not end the role's matrix token
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            body = {} if method == "GET" else {"data": "[]", "content_type": "application/json"}
            response = getattr(clients["anonymous"], method.lower())(url, **body, **headers)
            answers.append(_classify(response))
        cells.append(" ".join(answers))
    return tuple(cells) if params else (cells[0], None)


def _fresh_token(role: str) -> str:
    from django.contrib.auth import get_user_model

    from alstrial.web.api.tokens import issue_token

    return issue_token(get_user_model().objects.get(username=f"matrix.{role}"))[0]


def _default_other(seen):
    """404 for every logged-in role; the anonymous answer as observed (log-in page or 401)."""
    if seen is None:
        return None
    return " ".join(["404"] * (len(ROLES) - 1) + [seen.split()[-1]])


def _compare(key: str, observed: tuple, expected: tuple | None, problems: list, new: list):
    if expected is None:
        cells = [
            None if i >= len(observed) // 2 and c == _default_other(c) else c
            for i, c in enumerate(observed)
        ]
        lines = ", ".join("None" if c is None else f'"{c}"' for c in cells)
        new.append(f'    "{key}": (\n        {lines},\n    ),')
        return
    for index, (seen, wanted) in enumerate(zip(observed, expected, strict=True)):
        if seen is None and wanted is None:
            continue
        wanted = wanted or _default_other(seen)
        if seen != wanted:
            problems.append(f"{key} [{index}]: expected {wanted!r}, got {seen!r}")


def test_every_route_every_role_both_sites(world):
    clients, tokens = world
    problems: list[str] = []
    new: list[str] = []
    web = web_routes()
    for name, route in sorted(web.items()):
        observed = observe_web(clients, name, route)
        _compare(name, observed, WEB.get(name), problems, new)
        if "500" in " ".join(c for c in observed if c):
            problems.append(f"{name}: a server error {observed}")
    operations = api_operations()
    for method, path in operations:
        key = f"{method} {path}"
        observed = observe_api(clients, tokens, method, path)
        _compare(key, observed, API.get(key), problems, new)
    stale = sorted(set(WEB) - set(web)) + sorted(set(API) - {f"{m} {p}" for m, p in operations})
    assert not new, "routes without an entry in the matrix (review, then paste):\n" + "\n".join(new)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    assert not problems, "\n".join(problems)


@pytest.mark.django_db(databases=[])
def test_the_tables_name_every_route_and_nothing_else():
    """Fast guard: a new page or API operation needs its row before anything else."""
    assert sorted(WEB) == sorted(web_routes())
    assert sorted(API) == sorted(f"{method} {path}" for method, path in api_operations())

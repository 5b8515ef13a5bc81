"""The blinding column of the access-control matrix (docs/randomisation.md "Blinding"): every
page, API read and export a blinded role can open, on the randomised msc_rct trial with
randomised subjects of both arms and a lot made for each, must not show the arm or anything
derived from it.

The world is the demo (msc_rct at Seoul: 34 randomised subjects) plus a released lot (harvest,
batch, passages, QC, dose) for one subject of each arm. Each blinded role is held by one user
at Seoul. Every web route is requested with GET, its objects taken from the msc_rct subject of
each arm in turn; every API read likewise; the trial's exports as each role may download them.
A response fails when it holds an arm code as a word, an arm's name, "placebo", "sham", or the
dose of a lot (its subjects weigh 63.7 kg, so that their doses, 6.37e+07 cells, are told apart
from the other trials' lots). The protocol's own title and product description, which name its
design, are taken out of the page first: the design is public, the allocation is not.

``KNOWN_LEAKS`` lists what still leaks, with the reason; the test fails both on a new leak and
on a listed one that no longer leaks (so the list only shrinks).
"""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from test_access_matrix import api_operations, web_routes

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

BLINDED_ROLES = (
    "coordinator",
    "investigator",
    "cell_lab",
    "safety_monitor",
    "statistician",
    "auditor",
    "admin",
    "monitor",
    "data_manager",
)
#: ``(route or API path, role)`` that still leak, with the reason (the list only shrinks).
KNOWN_LEAKS: dict[tuple[str, str], str] = {
    # The randomise confirmation page states the scheme (1:1 MSC:SHAM, blocks, strata): the
    # protocol's design, public, not an allocation; the check cannot tell the two apart.
    ("randomisation:randomise", "coordinator"): "design text (arms and ratio), not the arm",
    ("randomisation:randomise", "investigator"): "design text (arms and ratio), not the arm",
}


def leak_patterns(trial, lots) -> list[re.Pattern]:
    """What must never reach a blinded role (module docstring)."""
    scheme = trial.protocol.randomisation
    words = [re.escape(arm.code) for arm in scheme.arms]
    patterns = [re.compile(rf"\b(?:{'|'.join(words)})\b")]
    patterns += [re.compile(re.escape(arm.name), re.I) for arm in scheme.arms]
    patterns.append(re.compile(r"placebo|\bsham\b", re.I))
    for lot in lots.values():
        for value in (lot.dose_cells,):
            if value:
                patterns.append(re.compile(re.escape(f"{value:.3g}").replace(r"e\+0", r"e\+?0?")))
                patterns.append(re.compile(rf"\b{value:,.0f}\b"))
    return patterns


def leaks(text: str, trial, patterns) -> list[str]:
    """The leaking fragments of ``text`` (empty when none)."""
    product = trial.protocol.interventions.product.description
    for public in (trial.title, html.escape(trial.title), product, html.escape(product)):
        text = text.replace(public, "")
    found = []
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - 60)
            found.append(text[start : match.end() + 60].replace("\n", " "))
    return found


@pytest.fixture
def blinded_world(settings):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from alstrial.web.api.tokens import issue_token
    from alstrial.web.core.demo import DEMO_PASSWORD, DemoContext, load_all_demo_data
    from alstrial.web.core.models import Site, SiteMembership
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority
    from alstrial.web.randomisation.services import arm_of
    from alstrial.web.subjects.models import Subject
    from alstrial.web.trials.models import Trial

    settings.AXES_ENABLED = False
    load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))
    trial = Trial.objects.get(slug="msc_rct")
    seoul = Site.objects.get(code="seoul")
    admin = get_user_model().objects.get(username="admin")
    ReleaseAuthority.objects.get_or_create(user=admin, site=seoul)
    subjects = {}
    for subject in Subject.objects.filter(trial=trial, allocation__isnull=False).order_by("pk"):
        subjects.setdefault(arm_of(subject), subject)
    assert len(subjects) == 2, "the demo has randomised subjects of one arm only"
    lots = {}
    for arm, subject in subjects.items():
        ensure_weight(
            subject, get_user_model().objects.get(username="coordinator.seoul"), weight_kg=63.7
        )
        lots[arm] = build_lot(subject, admin, admin, stage="released", password=DEMO_PASSWORD)
    clients, tokens = {}, {}
    for role in BLINDED_ROLES:
        user = get_user_model().objects.create_user(f"blinded.{role}")
        SiteMembership.objects.create(user=user, site=seoul, role=role)
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
        tokens[role] = issue_token(user)[0]
    return trial, subjects, lots, clients, tokens


def _object(label: str, subject, lot):
    """The ``label`` object of this arm's subject (None: not arm-specific, not walked)."""
    from alstrial.web.assessments.models import AlsfrsAssessment

    return {
        "subjects.Subject": subject,
        "subjects.Visit": subject.visits.order_by("sequence").first(),
        "product.Lot": lot,
        "product.Batch": lot.batch,
        "product.Harvest": lot.batch.harvest,
        "assessments.AlsfrsAssessment": AlsfrsAssessment.objects.filter(subject=subject).first(),
    }.get(label)


def _web_url(name: str, route: str, trial, subject, lot) -> str | None:
    from django.urls.resolvers import RoutePattern
    from test_access_matrix import FIXED, PK_MODEL

    kwargs = {}
    for key in RoutePattern(route).converters:
        if key == "slug":
            kwargs[key] = trial.slug
            continue
        label = {"visit_pk": "subjects.Visit", "subject_pk": "subjects.Subject"}.get(key)
        label = label or (PK_MODEL.get(name) if key == "pk" else None)
        if label is None:
            if key not in FIXED:
                return None
            kwargs[key] = FIXED[key]
            continue
        found = _object(label, subject, lot)
        if found is None:
            return None
        kwargs[key] = found.pk
    return reverse(name, kwargs=kwargs)


API_LABELS = {
    "subject_id": "subjects.Subject",
    "visit_id": "subjects.Visit",
    "lot_id": "product.Lot",
    "assessment_id": "assessments.AlsfrsAssessment",
}


def _api_url(path: str, subject, lot) -> str | None:
    url = path
    for param in re.findall(r"{(\w+)}", path):
        found = _object(API_LABELS.get(param, ""), subject, lot)
        if found is None:
            return None
        url = url.replace(f"{{{param}}}", str(found.pk))
    return url


def _text(response) -> str:
    """The response as text; a zip's members joined."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts = [archive.read(name) for name in archive.namelist()]
        body = b"\n".join(p for p in parts if not p.startswith(b"HEADER RECORD"))
    return body.decode("utf-8", errors="replace")


def walk(trial, subjects, lots, clients, tokens) -> dict[tuple[str, str], list[str]]:
    """``{(route, role): leaking fragments}`` over every page, API read and export."""
    patterns = leak_patterns(trial, lots)
    found: dict[tuple[str, str], list[str]] = {}
    requests = []
    for arm, subject in subjects.items():
        for name, route in sorted(web_routes().items()):
            if name in ("logout",):
                continue
            url = _web_url(name, route, trial, subject, lots[arm])
            if url:
                requests.append((name, url, False))
        for method, path in api_operations():
            url = _api_url(path, subject, lots[arm]) if method == "GET" else None
            if url:
                requests.append((f"GET {path}", url, True))
    for kind in ("csv", "dictionary", "sdtm", "odm", "randomisation"):
        requests.append((f"export {kind}", f"/exchange/{trial.slug}/{kind}/", False))
    for key, url, is_api in requests:
        for role in BLINDED_ROLES:
            if is_api:
                auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}
                response = Client(raise_request_exception=False).get(url, **auth)
            else:
                response = clients[role].get(url)
            # Only what is shown can leak; refusals and errors are the access matrix's subject.
            if response.status_code != 200:
                continue
            fragments = leaks(_text(response), trial, patterns)
            if fragments:
                found.setdefault((key, role), []).extend(fragments)
    return found


def test_no_route_shows_a_blinded_role_the_arm(blinded_world):
    found = walk(*blinded_world)
    new = {key: value for key, value in found.items() if key not in KNOWN_LEAKS}
    fixed = sorted(set(KNOWN_LEAKS) - set(found))
    report = "\n".join(f"{key}: {value[:2]}" for key, value in sorted(new.items()))
    assert not new, f"routes that show a blinded role the arm:\n{report}"
    assert not fixed, f"known leaks that no longer leak (remove them from KNOWN_LEAKS): {fixed}"


def test_the_check_fails_when_a_route_leaks(blinded_world, monkeypatch):
    """The same walk with the blinding predicate answering "unblinded" for everyone: the arm
    reaches GET /subjects/{id}, so the check must report it."""
    from alstrial.web.api import subjects as subjects_api

    monkeypatch.setattr(subjects_api, "can_see_arm", lambda user, site: True)
    found = walk(*blinded_world)
    assert ("GET /api/v1/subjects/{subject_id}", "coordinator") in found

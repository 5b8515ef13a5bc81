"""Random input on every web form (hypothesis): never a server error, and a refused form
writes nothing at all (every table keeps its row count).

Each form page of the access matrix (pages answering GET with a ``<form method="post">``) is
loaded as a superuser on a Seoul object of the demo world; its field names are read from the
page and filled with random values: text, numbers of any size, dates real and impossible,
empty strings. Bounded: ``MAX_EXAMPLES`` submissions per form.
"""

from __future__ import annotations

import re

import pytest
import test_access_matrix as matrix
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

world = matrix.world  # the demo world and its users, as a fixture here too

MAX_EXAMPLES = 10
#: Pages whose POST does something other than save a form (log out, open a message).
NOT_FORMS = {"logout", "safety:open_notification", "safety:notifications", "reports:build"}
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')

values = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["", " ", "2026-02-30", "0", "-1", "4", "yes", "on", "null", "\x00"]),
)


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _fuzz(client, name: str, url: str, fields: list[str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional=dict.fromkeys(fields, values)))
    def submit(data):
        before = _row_counts()
        answer = client.post(url, data)
        assert answer.status_code < 500, (name, data, answer.status_code)
        if answer.status_code != 302:  # refused: nothing written anywhere
            assert _row_counts() == before, (name, data)

    submit()


def test_random_input_never_crashes_or_half_saves(world):
    """One demo world for every form (loading it is the slow part)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.create_superuser("fuzz.root"))
    fuzzed = []
    for name, route in sorted(matrix.web_routes().items()):
        if name in NOT_FORMS:
            continue
        url = reverse(name, kwargs=matrix.web_kwargs(name, route, "seoul"))
        page = client.get(url)
        if page.status_code != 200 or b'method="post"' not in page.content.lower():
            continue
        fields = sorted(set(_FIELD.findall(page.content.decode())) - {"csrfmiddlewaretoken"})
        _fuzz(client, name, url, fields)
        fuzzed.append(name)
    # The forms that coordinators, the cell lab and safety monitors fill in were all reached.
    for form in ("assessments:visit_form", "subjects:screen", "product:qc", "safety:new"):
        assert form in fuzzed

"""Links to visit forms are built once per form and filled with the visit id
(``core.visit_forms.visit_url``): they must be exactly what ``reverse()`` gives."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse, set_script_prefix

from alstrial.web.core.visit_forms import visit_url


@pytest.mark.parametrize("pk", [1, 98, 987654, 10**12 + 7])
@pytest.mark.parametrize("key", ["alsfrs_r", "fvc", "mri_spine"])
def test_links_equal_reverse(pk, key):
    link = visit_url("assessments:visit_form", key)
    assert link(SimpleNamespace(pk=pk)) == reverse("assessments:visit_form", args=[pk, key])


def test_links_follow_the_script_prefix_of_a_proxied_sub_path():
    link = visit_url("assessments:visit_form", "alsfrs_r")
    try:
        set_script_prefix("/trials-app/")
        expected = reverse("assessments:visit_form", args=[5, "alsfrs_r"])
        assert expected.startswith("/trials-app/")
        assert link(SimpleNamespace(pk=5)) == expected
    finally:
        set_script_prefix("/")
    assert link(SimpleNamespace(pk=5)) == reverse("assessments:visit_form", args=[5, "alsfrs_r"])

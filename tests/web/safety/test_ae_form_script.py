"""The adverse-event form works under the production Content-Security-Policy, which runs
scripts from our own static files only: no inline event handler, the subject choice reloads
through a static script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def test_the_report_form_has_no_inline_handler(client, site_zones, enrolled_subject, users):
    enrolled_subject("seoul")
    client.force_login(users["coordinator.seoul"])
    html = client.get(reverse("safety:new")).content.decode()
    assert 'data-reload-with="subject"' in html  # the subject choice is there
    assert INLINE_HANDLER.search(html) is None, INLINE_HANDLER.search(html).group(0)
    assert "alstrial/reload_on_change.js" in html


def test_the_script_is_a_static_file_that_reloads_with_the_choice():
    path = finders.find("alstrial/reload_on_change.js")
    assert path is not None
    script = Path(path).read_text(encoding="utf-8")
    assert "data-reload-with" in script
    assert "encodeURIComponent" in script

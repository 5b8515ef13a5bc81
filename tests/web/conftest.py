"""Web fixtures shared by every tests/web suite (core, subjects, assessments, product, safety, api).

- ``sites``: ``{"seoul": Site, "novara": Site}``;
- ``make_user(username, {"seoul": ["coordinator"], ...})``: a user with those roles;
- ``users``: the demo users of docs/interfaces.md, 'Demo users' with their roles (see
  ``DEMO_ROLES``);
- ``kim_trial`` (at seoul) and ``mazzini_trial`` (at novara), from the shipped protocols;
- ``screen(site_code)`` / ``enrolled_subject(site_code="seoul")``: subjects made through the
  services, as a coordinator of that site;
- ``browser_page``: Playwright on Debian's Chromium, for ``@pytest.mark.browser`` tests.
Passwords hash with MD5 in tests only (Argon2 is deliberately slow).
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from alstrial.web.core.demo_users import DEMO_ROLES

TODAY = date.today()  # UTC in tests (TIME_ZONE is UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sites(db):
    from alstrial.web.core.models import Site

    # UTC at both, so that a site's "today" is the tests' date.today(); suites that need the
    # sites' own zones set them (tests/web/safety/conftest.py).
    return {
        "seoul": Site.objects.create(code="seoul", name="Seoul", prefix="SEO", time_zone="UTC"),
        "novara": Site.objects.create(code="novara", name="Novara", prefix="NOV", time_zone="UTC"),
    }


@pytest.fixture
def make_user(db, sites):
    from django.contrib.auth import get_user_model

    from alstrial.web.core.models import SiteMembership

    def make(username: str, roles: dict[str, list[str]], password: str = "pw-for-tests-only"):
        user = get_user_model().objects.create_user(username=username, password=password)
        for site_code, site_roles in roles.items():
            for role in site_roles:
                SiteMembership.objects.create(user=user, site=sites[site_code], role=role)
        return user

    return make


@pytest.fixture
def users(make_user):
    """The demo users of docs/interfaces.md, 'Demo users' with the roles ``alstrial demo`` gives
    them."""
    return {name: make_user(name, roles) for name, roles in DEMO_ROLES.items()}


@pytest.fixture
def kim_trial(sites):
    from alstrial.web.trials.services import create_bundled_trial

    return create_bundled_trial("kim2009", [sites["seoul"]])


@pytest.fixture
def mazzini_trial(sites):
    from alstrial.web.trials.services import create_bundled_trial

    return create_bundled_trial("mazzini2003", [sites["novara"]])


SCREENING_VALUES = {
    "sex": "M",
    "age_years": 52,
    "onset_site": "spinal",
    "el_escorial": "probable",
    "alsfrs_r_total": 40,
    "fvc_percent_predicted": 85.0,
}


@pytest.fixture
def screen(users, kim_trial, mazzini_trial, sites):
    """``screen(site_code, **overrides)``: a screened subject of that site's trial."""
    from alstrial.web.subjects.services import screen_subject

    trials = {"seoul": kim_trial, "novara": mazzini_trial}

    def run(site_code: str = "seoul", *, days_ago: int = 100, **overrides):
        screening_date = TODAY - timedelta(days=days_ago)
        values = {
            **SCREENING_VALUES,
            "symptom_onset_date": screening_date - timedelta(days=400),
            **overrides,
        }
        return screen_subject(
            site=sites[site_code],
            trial=trials[site_code],
            user=users[f"coordinator.{site_code}"],
            consent_date=screening_date,
            screening_date=screening_date,
            values=values,
        )

    return run


@pytest.fixture
def enrolled_subject(screen, users):
    """``enrolled_subject(site_code="seoul", days_ago=100)``: screened and enrolled."""
    from alstrial.web.subjects.services import enrol_subject

    def run(site_code: str = "seoul", *, days_ago: int = 100):
        subject = screen(site_code, days_ago=days_ago)
        return enrol_subject(
            subject, users[f"coordinator.{site_code}"], enrolment_date=subject.screening_date
        )

    return run


CHROMIUM = os.environ.get("ALSTRIAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # screenshots
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page(monkeypatch):
    """A Playwright page on Debian's Chromium (``ALSTRIAL_CHROMIUM`` or ``chromium`` on PATH).

    Skipped when Chromium is absent, except under CI (``CI`` set), where that is a failure.
    Use it with pytest-django's ``live_server`` and ``@pytest.mark.django_db(transaction=True)``.
    """
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI: Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are synchronous and safe here.
    # Scoped to this test: a leaked value would reach every later subprocess (the production
    # deploy check refuses it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)  # 2 shared cores: be patient
        try:
            yield page
        finally:
            browser.close()

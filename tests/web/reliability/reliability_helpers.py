"""Helpers of the reliability tests (conftest.py re-exports the ``throwaway`` fixture): a
seeded throw-away database, the production server on loopback (``tests/support/testserver.py``)
and a coordinator's HTTP client.

The database is PostgreSQL when ``DATABASE_URL`` is set (``make test``'s second run; a new
database is created on that server and dropped afterwards), else a SQLite file in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
import requests
from support import loadtest
from support.loadtest import alsfrs_post, form_version
from support.testserver import ThrowawayDatabase, environment, run_python

#: Seconds any single HTTP request of a test may take.
REQUEST_TIMEOUT = 30


@pytest.fixture
def throwaway(tmp_path):
    """``throwaway(**env)`` -> (database, env): a fresh database (PostgreSQL when
    ``DATABASE_URL`` is set) and the environment of a process using it; dropped afterwards."""
    made: list[ThrowawayDatabase] = []

    def make(**extra):
        database = ThrowawayDatabase(tmp_path, os.environ.get("DATABASE_URL"))
        made.append(database)
        static = str(tmp_path / "static")
        return database, environment(database, ALSTRIAL_STATIC_ROOT=static, **extra)

    yield make
    for database in made:
        database.drop()


def seed(env: dict, folder: Path, users: int = 2) -> dict:
    """Migrate and seed (``python tests/support/loadtest.py seed``); returns the plan."""
    plan = folder / "plan.json"
    command = [loadtest.SCRIPT, "seed", "--users", str(users), "--out", str(plan)]
    run_python(env, *command)
    return json.loads(plan.read_text())


def verify(env: dict, acks: Path) -> dict:
    """``python tests/support/loadtest.py verify ACKS`` against the database of ``env``."""
    acks.touch()
    done = run_python(env, loadtest.SCRIPT, "verify", str(acks))
    return json.loads(done.stdout)


class Coordinator:
    """A study coordinator's browser: log in, open a form, save it with a reason."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.username = username
        self.password = password
        self.saves = 0

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=REQUEST_TIMEOUT)

    def post(self, path: str, data: dict) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", "")}
        return self.session.post(
            self.base_url + path, data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )

    def log_in(self) -> requests.Response:
        self.get("/accounts/login/")
        credentials = {"username": self.username, "password": self.password}
        answer = self.post("/accounts/login/", credentials)
        assert answer.status_code == 302, answer.text[:500]
        return answer

    def save_alsfrs(self, visit: int, items: dict) -> tuple[requests.Response, dict]:
        """Load the visit's ALSFRS-R form and save ``items``; returns the answer and the
        acknowledgement line to record when it is the redirect of a successful save."""
        url = f"/assessments/visit/{visit}/alsfrs_r/"
        page = self.get(url)
        assert page.status_code == 200, (page.status_code, page.text[:800])
        self.saves += 1
        reason = f"{self.username} change {self.saves}"
        answer = self.post(url, alsfrs_post(items, date.today(), reason, form_version(page.text)))
        return answer, {"visit": visit, "reason": reason, "items": items}

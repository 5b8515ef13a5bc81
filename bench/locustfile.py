"""Locust users for bench/bench_load.py: study coordinators entering ALSFRS-R visits.

Each user logs in as one coordinator of the plan (``ALSTRIAL_LOAD_PLAN``, written by
``python tests/support/loadtest.py seed``), then opens their subjects' pages and saves ALSFRS-R
forms with a reason for change. Every save the server acknowledged (the redirect after POST) is
appended to ``ALSTRIAL_LOAD_ACKS`` for the lost-write check. Run by bench_load.py, not by hand.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from datetime import date
from pathlib import Path

from locust import FastHttpUser, between, task

# The benchmarks share the tests' support code (tests/support), which is not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.loadtest import alsfrs_post, form_version, random_items

PLAN = json.loads(Path(os.environ["ALSTRIAL_LOAD_PLAN"]).read_text())
# Line-buffered: each acknowledgement reaches the file as one whole line, at once.
ACKS = open(os.environ["ALSTRIAL_LOAD_ACKS"], "a", buffering=1)  # noqa: SIM115 - open for the run
_accounts = itertools.cycle(PLAN["users"])


def csrf_token(client) -> str:
    """The CSRF cookie Django set for this user's session (empty before the first page)."""
    return next((c.value for c in client.cookiejar if c.name == "csrftoken"), "")


# FastHttpUser (geventhttpclient) costs a fraction of HttpUser's CPU per request: the load
# generator shares the server's two cores, and its CPU should go to the server under test.
#: Seconds a coordinator spends between two pages, "MIN-MAX" (bench_load.py --think).
THINK = tuple(float(x) for x in os.environ.get("ALSTRIAL_LOAD_THINK", "1-5").split("-"))


class Coordinator(FastHttpUser):
    wait_time = between(*THINK)

    def on_start(self):
        self.account = next(_accounts)
        self.rng = random.Random(self.account["username"])
        self.saves = 0
        self.client.get("/accounts/login/", name="login page")
        self.client.post(
            "/accounts/login/",
            data={
                "username": self.account["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": csrf_token(self.client),
            },
            name="log in",
        )

    @task(2)
    def open_subject(self):
        subject = self.rng.choice(self.account["subjects"])
        self.client.get(f"/subjects/{subject['id']}/", name="subject page")

    @task(1)
    def save_alsfrs(self):
        subject = self.rng.choice(self.account["subjects"])
        visit = self.rng.choice(subject["visits"])
        url = f"/assessments/visit/{visit}/alsfrs_r/"
        page = self.client.get(url, name="ALSFRS-R form")
        items = random_items(self.rng)
        self.saves += 1
        reason = f"{self.account['username']} change {self.saves}"
        body = alsfrs_post(items, date.today(), reason, form_version(page.text))
        body["csrfmiddlewaretoken"] = csrf_token(self.client)
        with self.client.post(
            url, data=body, name="save ALSFRS-R", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                ACKS.write(json.dumps({"visit": visit, "reason": reason, "items": items}) + "\n")
                response.success()
            else:
                response.failure(f"save answered {response.status_code}")

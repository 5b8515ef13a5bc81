"""Kill the server (SIGKILL to gunicorn's master and every worker) while coordinators save
ALSFRS-R forms, restart it: every save that was acknowledged is there with its audit row, and
no record is half-written (items, total, version and audit rows agree). Runs on SQLite, and on
PostgreSQL when ``DATABASE_URL`` is set."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time

import pytest
import requests
from reliability_helpers import Coordinator, seed, verify
from support.loadtest import random_items
from support.testserver import ProductionServer

pytestmark = pytest.mark.slow

WRITERS = 4
#: Acknowledged saves to wait for before the kill (bounded by KILL_DEADLINE_SECONDS).
ACKS_BEFORE_KILL = 12
KILL_DEADLINE_SECONDS = 60


def _writer(coordinator: Coordinator, visits: list[int], stop, acks: list, seed_: int) -> None:
    """Save forms until ``stop`` is set or the server goes away; record acknowledged saves."""
    rng = random.Random(seed_)
    while not stop.is_set():
        try:
            answer, ack = coordinator.save_alsfrs(rng.choice(visits), random_items(rng))
        except requests.RequestException:
            return  # the server is gone: this save was never acknowledged
        if answer.status_code == 302:
            acks.append(ack)
        else:
            assert answer.status_code == 503, (answer.status_code, answer.text[:300])


def test_acknowledged_saves_survive_a_killed_server(throwaway, tmp_path):
    database, env = throwaway()
    plan = seed(env, tmp_path, users=WRITERS)
    acks: list[dict] = []
    stop = threading.Event()
    server = ProductionServer(env, workers=2, log=tmp_path / "server.log").start()
    try:
        threads = []
        for n, account in enumerate(plan["users"]):
            coordinator = Coordinator(server.url, account["username"], plan["password"])
            coordinator.log_in()
            visits = [v for subject in account["subjects"] for v in subject["visits"]]
            thread = threading.Thread(target=_writer, args=(coordinator, visits, stop, acks, n))
            thread.start()
            threads.append(thread)
        deadline = time.monotonic() + KILL_DEADLINE_SECONDS
        while len(acks) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()  # mid-write: the writers are still sending saves
    finally:
        stop.set()
        server.kill()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acks) >= ACKS_BEFORE_KILL
    if database.vendor == "sqlite":
        integrity = sqlite3.connect(database.name).execute("PRAGMA integrity_check").fetchone()
        assert integrity == ("ok",)

    # Restart: the server comes back on the same database and accepts new saves.
    (tmp_path / "acks.jsonl").write_text("".join(json.dumps(a) + "\n" for a in acks))
    with ProductionServer(env, workers=1, log=tmp_path / "server.log") as again:
        account = plan["users"][0]
        coordinator = Coordinator(again.url, account["username"], plan["password"])
        coordinator.log_in()
        coordinator.saves = 10_000  # a reason no earlier save used
        answer, ack = coordinator.save_alsfrs(
            account["subjects"][0]["visits"][0], {**random_items(random.Random(99))}
        )
        assert answer.status_code == 302
    with (tmp_path / "acks.jsonl").open("a") as handle:
        handle.write(json.dumps(ack) + "\n")

    result = verify(env, tmp_path / "acks.jsonl")
    assert result["acknowledged"] == len(acks) + 1
    assert result["missing"] == []
    assert result["half_written"] == []
    assert result["ok"]


def test_verification_notices_a_lost_save(throwaway, tmp_path):
    """The check above can fail: a save that was never made is reported missing."""
    _, env = throwaway()
    plan = seed(env, tmp_path, users=1)
    visit = plan["users"][0]["subjects"][0]["visits"][0]
    ack = {"visit": visit, "reason": "never sent", "items": random_items(random.Random(1))}
    (tmp_path / "acks.jsonl").write_text(json.dumps(ack) + "\n")
    result = verify(env, tmp_path / "acks.jsonl")
    assert not result["ok"]
    assert result["missing"] == [ack]

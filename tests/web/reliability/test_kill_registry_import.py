"""Kill ``alstrial registry import`` (SIGKILL) while it writes: nothing of it is in the
database (one transaction), and importing the same files again completes. SQLite, and
PostgreSQL when ``DATABASE_URL`` is set."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.testserver import run_python

pytestmark = pytest.mark.slow

ALSTRIAL = str(Path(sys.executable).with_name("alstrial"))
PATIENTS = 6000
#: Seconds to wait for the import to start writing.
WRITE_DEADLINE_SECONDS = 120

COUNT_ROWS = """
import json, django
django.setup()
from alstrial.web.registry import models as m
tables = (m.RegistryImport, m.RegistryPatient, m.RegistryAlsfrs, m.RegistryFvc)
print(json.dumps({table.__name__: table.objects.count() for table in tables}))
"""


def _rows(env: dict) -> dict:
    import json

    return json.loads(run_python(env, "-c", COUNT_ROWS).stdout)


def _writing(database) -> bool:
    """True once the import's transaction has written rows (not yet committed)."""
    if database.vendor == "sqlite":
        # Megabytes in the write-ahead log while no import is committed yet: mid-transaction.
        wal = Path(f"{database.name}-wal")
        if not wal.exists() or wal.stat().st_size < 1024 * 1024:
            return False
        reader = sqlite3.connect(database.name, timeout=0.1)
        try:
            committed = reader.execute("SELECT count(*) FROM registry_registryimport").fetchone()
        except sqlite3.OperationalError:
            return False  # a checkpoint held the file for a moment: look again
        finally:
            reader.close()
        return committed[0] == 0
    import psycopg

    with psycopg.connect(database.env["DATABASE_URL"], autocommit=True) as conn:
        # A transaction gets its id at its first write; the import's is the only writer here.
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        ).fetchone()
    return row[0] > 0


def test_a_killed_import_leaves_nothing_and_can_be_run_again(throwaway, tmp_path):
    database, env = throwaway(DJANGO_SETTINGS_MODULE="alstrial.web.settings")
    folder = tmp_path / "registry"
    synth = [ALSTRIAL, "registry", "synth", "--patients", str(PATIENTS), "--seed", "7"]
    subprocess.run([*synth, "--out", str(folder)], env=env, check=True, capture_output=True)
    subprocess.run([ALSTRIAL, "manage", "migrate"], env=env, check=True, capture_output=True)
    command = [ALSTRIAL, "registry", "import", str(folder), "--report", str(tmp_path / "r.csv")]

    importing = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    started = time.monotonic()
    while not _writing(database):
        assert importing.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() - started < WRITE_DEADLINE_SECONDS
        time.sleep(0.02)
    os.killpg(importing.pid, signal.SIGKILL)
    importing.wait(timeout=30)
    assert importing.returncode == -signal.SIGKILL

    after_kill = _rows(env)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    rows = _rows(env)
    assert rows["RegistryImport"] == 1
    assert rows["RegistryPatient"] == PATIENTS
    assert rows["RegistryAlsfrs"] > PATIENTS
    # All or nothing: the kill left no rows, or (had the commit won the race against the
    # kill) exactly the complete import that the second run then left unchanged.
    assert after_kill in ({table: 0 for table in rows}, rows)

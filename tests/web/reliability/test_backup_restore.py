"""``alstrial backup`` / ``alstrial restore`` round-trip every table, audit trail included, on
SQLite (online backup API) and, when ``DATABASE_URL`` is set, PostgreSQL (pg_dump/pg_restore);
restore checks the backup first and refuses a non-empty database without --force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_helpers import seed
from support.testserver import ThrowawayDatabase, environment, run_python

pytestmark = pytest.mark.slow

ALSTRIAL = str(Path(sys.executable).with_name("alstrial"))

#: Prints {table: [row count, sorted rows as JSON]} for every table of the database.
DUMP_TABLES = """
import json, django
django.setup()
from django.db import connection
out = {}
with connection.cursor() as cursor:
    for table in connection.introspection.table_names(cursor):
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        rows = sorted(json.dumps(list(row), default=str) for row in cursor.fetchall())
        out[table] = [len(rows), rows]
print(json.dumps(out))
"""


def tables(env: dict) -> dict:
    env = {**env, "DJANGO_SETTINGS_MODULE": "alstrial.web.settings"}
    return json.loads(run_python(env, "-c", DUMP_TABLES).stdout)


def alstrial(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ALSTRIAL, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One database for the module (migrating PostgreSQL is slow): sites, users, a trial,
    enrolled subjects and their audit trail. Tests may restore its own backup into it."""
    folder = tmp_path_factory.mktemp("seeded")
    database = ThrowawayDatabase(folder, os.environ.get("DATABASE_URL"))
    try:
        env = environment(database)
        seed(env, folder, users=3)
        yield env
    finally:
        database.drop()


def test_backup_and_restore_round_trip_every_table(seeded, throwaway, tmp_path):
    before = tables(seeded)
    history = {t: n for t, (n, _) in before.items() if "historical" in t}
    assert history["subjects_historicalsubject"] > 0  # the audit trail is part of the copy
    out = tmp_path / "backups" / "trial.backup"
    made = alstrial(seeded, "backup", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert out.with_name("trial.backup.sha256").read_text().split()[0] in made.stdout

    _, empty = throwaway()
    restored = alstrial(empty, "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    after = tables(empty)
    assert sorted(after) == sorted(before)
    for table in before:
        assert after[table] == before[table], table


def test_restore_refuses_a_non_empty_database_without_force(seeded, tmp_path):
    out = tmp_path / "trial.backup"
    assert alstrial(seeded, "backup", "--out", str(out)).returncode == 0
    before = tables(seeded)
    refused = alstrial(seeded, "restore", str(out))
    assert refused.returncode == 1
    assert "already holds" in refused.stderr
    assert "--force" in refused.stderr
    forced = alstrial(seeded, "restore", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert tables(seeded) == before


@pytest.mark.parametrize("damage", ["flipped bytes", "truncated, no checksum"])
def test_restore_checks_the_backup_before_touching_the_database(
    seeded, throwaway, tmp_path, damage
):
    out = tmp_path / "trial.backup"
    assert alstrial(seeded, "backup", "--out", str(out)).returncode == 0
    data = bytearray(out.read_bytes())
    if damage == "flipped bytes":
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
        expected = "damaged"
    else:
        data = data[: len(data) // 3]
        out.with_name("trial.backup.sha256").unlink()
        expected = "error:"
    out.write_bytes(bytes(data))
    _, empty = throwaway()
    refused = alstrial(empty, "restore", str(out))
    assert refused.returncode == 1
    assert expected in refused.stderr
    assert "Traceback" not in refused.stderr
    assert tables(empty) == {}


def test_client_major_version_is_read_from_the_tool_banner():
    from alstrial.web.backup import _major

    assert _major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert _major("pg_restore (PostgreSQL) 17.2") == 17

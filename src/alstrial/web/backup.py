"""Back up and restore the whole trial database, audit trail included.

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``): a consistent copy taken
  while the app keeps running, WAL contents included; restore copies it back the same way.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --single-transaction`` (a failed
  restore leaves the target as it was). ``pg_dump`` must be at least the server's major version
  (PostgreSQL refuses to dump a newer server); that is checked before dumping.

Every backup gets a ``PATH.sha256`` beside it. Restore first checks the backup (checksum, then
SQLite's ``PRAGMA integrity_check`` or ``pg_restore --list``, and that it holds the migration
table of an alstrial database) and refuses a target database that already holds tables unless
``force`` is given. Used by ``alstrial backup`` and ``alstrial restore`` (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, connections


class BackupError(RuntimeError):
    """A backup or restore that was refused or failed; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """What was written or restored: ``path``, ``vendor`` (sqlite, postgresql), ``tables``
    (number of tables in the database), ``sha256`` of the backup file."""

    path: Path
    vendor: str
    tables: int
    sha256: str

    def to_dict(self) -> dict:
        return {"path": str(self.path), "vendor": self.vendor, "tables": self.tables,
                "sha256": self.sha256}  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _database() -> dict:
    return connection.settings_dict


def _vendor() -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    return connection.vendor


def _table_count() -> int:
    with connection.cursor() as cursor:
        return len(connection.introspection.table_names(cursor))


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_environment(settings: dict) -> dict[str, str]:
    """libpq's variables for the configured database (no password on the command line)."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                          ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):  # fmt: skip
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return tool


def _major(version_text: str) -> int:
    """15 from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    match = re.search(r"(\d+)\.\d+", version_text)
    if match is None:
        raise BackupError(f"cannot read a version from {version_text!r}")
    return int(match.group(1))


def check_pg_versions(tool: str) -> tuple[int, int]:
    """(client major, server major); BackupError when the client is older than the server."""
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    client = _major(version.stdout)
    server = connection.pg_version // 10000
    if client < server:
        raise BackupError(
            f"{Path(tool).name} {client} cannot handle PostgreSQL {server}: install client "
            f"tools of version {server} or newer"
        )
    return client, server


def _run(command: list[str], env: dict, what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()}")
    return done


def _pg_backup(out: Path) -> None:
    tool = _pg_tool("pg_dump")
    check_pg_versions(tool)
    command = [tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={out}"]
    _run(command, _pg_environment(_database()), "pg_dump")


def _pg_check(path: Path) -> None:
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)], dict(os.environ),
                   "reading the backup").stdout  # fmt: skip
    if not re.search(r"TABLE DATA \S+ django_migrations ", listing):
        raise BackupError(f"{path} is not a backup of an alstrial database (no django_migrations)")


def _pg_restore(path: Path, clean: bool) -> None:
    tool = _pg_tool("pg_restore")
    check_pg_versions(tool)
    settings = _database()
    command = [tool, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
               f"--dbname={settings['NAME']}"]  # fmt: skip
    if clean:
        command += ["--clean", "--if-exists"]

    connections.close_all()  # our own open connection must not hold locks the restore needs
    _run([*command, str(path)], _pg_environment(settings), "pg_restore")


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_copy(source: Path | str, target: Path | str, *, single_file: bool = False) -> None:
    """SQLite's online backup API: page by page, consistent, under the source's read lock.
    ``single_file``: leave the copy in rollback-journal mode, one self-contained file."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
        if single_file:
            dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        src.close()
        dst.close()


def _sqlite_check(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from None
    finally:
        conn.close()
    if result != [("ok",)]:
        raise BackupError(f"{path} failed SQLite's integrity check: {result[:3]}")
    if "django_migrations" not in tables:
        raise BackupError(f"{path} is not a backup of an alstrial database (no django_migrations)")


# --- Public ----------------------------------------------------------------------------------


def backup(out: Path) -> BackupResult:
    """Write a backup of the configured database to ``out`` and its checksum beside it."""
    out = Path(out).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    vendor = _vendor()
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if vendor == "sqlite":
        connection.ensure_connection()  # applies WAL mode and the busy timeout
        _sqlite_copy(_database()["NAME"], partial, single_file=True)
        _sqlite_check(partial)
    else:
        _pg_backup(partial)
        _pg_check(partial)
    # Only a complete, checked backup takes the final name.
    os.replace(partial, out)
    digest = _sha256(out)
    _checksum_path(out).write_text(f"{digest}  {out.name}\n")
    return BackupResult(out, vendor, _table_count(), digest)


def verify_backup(path: Path, vendor: str) -> str:
    """Check a backup before restoring it; returns its SHA-256."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    digest = _sha256(path)
    recorded = _checksum_path(path)
    if recorded.exists() and recorded.read_text().split()[0] != digest:
        raise BackupError(f"{path} does not match its checksum {recorded.name}: it is damaged")
    if vendor == "sqlite":
        _sqlite_check(path)
    else:
        _pg_check(path)
    return digest


def restore(path: Path, *, force: bool = False) -> BackupResult:
    """Restore the backup at ``path`` into the configured database. Refuses a damaged backup,
    and a database that already holds tables unless ``force``."""
    path = Path(path).expanduser().resolve()
    vendor = _vendor()
    digest = verify_backup(path, vendor)
    existing = _table_count()
    if existing and not force:
        raise BackupError(
            f"the target database already holds {existing} tables; give --force to replace it"
        )
    if vendor == "sqlite":
        target = _database()["NAME"]
        connections.close_all()
        _sqlite_copy(path, target)
    else:
        _pg_restore(path, clean=bool(existing))
    return BackupResult(path, vendor, _table_count(), digest)

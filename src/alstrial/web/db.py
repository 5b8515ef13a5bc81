"""Where the database is and how SQLite connections are tuned.

Order of precedence (docs/interfaces.md, 'Command line'):
1. ``DATABASE_URL`` (PostgreSQL through psycopg 3, parsed by dj-database-url);
2. ``ALSTRIAL_DB``, the path of a SQLite file (the ``--db PATH`` options set it);
3. ``var/alstrial.sqlite3`` under the current working directory.

The default is relative to the working directory, not to the installed package, because the
package directory may be read-only (a wheel in site-packages) and a database beside the code
would be lost on reinstall; ``make demo`` runs from the repository root, so the demo database
lands in ``<repo>/var/`` (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.db.backends.signals import connection_created
from django.dispatch import receiver

DEFAULT_SQLITE_PATH = Path("var") / "alstrial.sqlite3"

#: Seconds a SQLite connection waits for another writer before failing ("database is locked");
#: ``ALSTRIAL_SQLITE_BUSY_TIMEOUT`` overrides it (the lock tests shorten it).
SQLITE_BUSY_TIMEOUT_SECONDS = float(os.environ.get("ALSTRIAL_SQLITE_BUSY_TIMEOUT") or 20)


def sqlite_path() -> Path:
    """The SQLite file used when ``DATABASE_URL`` is not set (absolute)."""
    return Path(os.environ.get("ALSTRIAL_DB") or DEFAULT_SQLITE_PATH).expanduser().resolve()


def database_config() -> dict:
    """The ``DATABASES["default"]`` entry for the current environment."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        config.setdefault("TEST", {})
        return config
    path = sqlite_path()
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Each server worker keeps its connection between requests (as PostgreSQL's does):
        # opening one and setting its PRAGMAs on every request costs more than most pages.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            # IMMEDIATE takes the write lock when a transaction starts, so two concurrent
            # writers queue on the busy timeout instead of one failing mid-transaction
            # with SQLITE_BUSY_SNAPSHOT (Django >= 5.1).
            "transaction_mode": "IMMEDIATE",
        },
    }


@receiver(connection_created)
def _tune_sqlite(sender, connection, **kwargs) -> None:
    """WAL lets readers work while one writer commits; the busy timeout makes writers wait.

    WAL is persistent in the file, but setting it on each connection is cheap and also covers
    a database file created by ``migrate``. In-memory test databases ignore it. ``synchronous``
    stays at SQLite's FULL default: a committed clinical record must survive a power cut.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={round(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")

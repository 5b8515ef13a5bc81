"""Append-only audit on SQLite: the same refusal as PostgreSQL's triggers
(:mod:`alstrial.web.audit.immutable`, :mod:`alstrial.web.product.immutable`) for the history
tables (every clinical record's trail, the administrations' included), the custody ledger and
the refused administration attempts. A raw ``UPDATE`` or ``DELETE`` on them aborts with
"audit trail is append-only".

Installed after every ``migrate`` (Django's ``post_migrate``), not by the migrations that create
the tables: to alter a column SQLite rebuilds the table (create, copy, drop, rename), which drops
its triggers, so they are put back, idempotently, once the schema is final. PostgreSQL keeps
triggers through ``ALTER TABLE`` and is left to its migrations.

Anyone who can write the SQLite file can also drop these triggers: SQLite has no roles. They stop
the application (a bug, a raw statement, a future importer) from rewriting the trail; the file's
permissions protect it from people (docs/operations.md "Append-only audit").
"""

from __future__ import annotations

from django.apps import apps as installed_apps
from django.db import connections

from alstrial.web.audit.immutable import history_tables
from alstrial.web.product.immutable import LEDGER_TABLES

#: Prefix of every trigger installed here (``<prefix>_<table>_update`` / ``_delete``).
TRIGGER_PREFIX = "alstrial_append_only"
#: The row operations refused.
OPERATIONS = ("UPDATE", "DELETE")


def guarded_tables(apps=installed_apps) -> list[str]:
    """The history tables of every installed app, the custody ledger and refused attempts."""
    tables = {t for config in apps.get_app_configs() for t in history_tables(apps, config.label)}
    return sorted(tables | set(LEDGER_TABLES))


def _trigger_sql(table: str, operation: str) -> str:
    name = f"{TRIGGER_PREFIX}_{table}_{operation.lower()}"
    message = f"audit trail is append-only: {operation} on {table} refused"
    return (
        f'CREATE TRIGGER IF NOT EXISTS "{name}" BEFORE {operation} ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def install_sqlite_guards(connection) -> list[str]:
    """Create the triggers on every guarded table that exists; returns the tables guarded."""
    existing = set(connection.introspection.table_names())
    tables = [t for t in guarded_tables() if t in existing]
    with connection.cursor() as cursor:
        for table in tables:
            for operation in OPERATIONS:
                cursor.execute(_trigger_sql(table, operation))
    return tables


def remove_sqlite_guards(connection) -> None:
    """Drop every trigger installed here (``migrate`` puts them back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{TRIGGER_PREFIX}%"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def guard_after_migrate(sender, using="default", **kwargs) -> None:
    """``post_migrate`` receiver: guard the SQLite database just migrated (or flushed).

    Django sends the signal once per app with models, after all migrations ran; the triggers
    are installed once, at the last app's.
    """
    with_models = [c for c in installed_apps.get_app_configs() if c.models_module is not None]
    if sender is not with_models[-1]:
        return
    connection = connections[using]
    if connection.vendor == "sqlite":
        install_sqlite_guards(connection)

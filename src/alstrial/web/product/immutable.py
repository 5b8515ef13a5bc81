"""PostgreSQL triggers that make the custody ledger and refused attempts append-only.

The models refuse updates and deletes (``AppendOnly``); on PostgreSQL the database refuses them
too, with the audit app's trigger function (``alstrial.web.audit.immutable``), so not even raw
SQL from the application account rewrites a lot's chain of custody. On SQLite the same tables
are guarded by :mod:`alstrial.web.audit.sqlite_guards`.
"""

from __future__ import annotations

from django.db import migrations

from alstrial.web.audit.immutable import TRIGGER_FUNCTION

LEDGER_TABLES = ("product_custodyentry", "product_refusedattempt")
TRIGGER = "alstrial_ledger_append_only"


def _forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.connection.ops.quote_name
    for table in LEDGER_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
        )


def _backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.connection.ops.quote_name
    for table in LEDGER_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")


def protect_ledger() -> migrations.RunPython:
    """Migration operation; run it after ``protect_history("product")`` (which creates the
    trigger function)."""
    return migrations.RunPython(_forwards, _backwards, elidable=False)

"""Make history tables append-only in the database itself (PostgreSQL).

The web UI and the admin offer no way to change or delete history rows; on PostgreSQL a trigger
also refuses any UPDATE or DELETE on them, so not even a raw SQL statement from the application
account can rewrite the trail (21 CFR Part 11 style). SQLite gets the same refusal from
:mod:`alstrial.web.audit.sqlite_guards` (installed after every migrate). TRUNCATE is not a row
operation and stays possible for the database owner (test databases are flushed that way).

Every app with history tables adds, as the last operation of the migration that creates them::

    from alstrial.web.audit.immutable import protect_history

    operations = [..., protect_history("myapp")]

It finds the app's historical models (simple-history's ``Historical*`` models) in the migration
state, so it covers exactly the tables that exist at that point; a later migration adding more
history tables calls it again (it is idempotent).
"""

from __future__ import annotations

from django.db import migrations

TRIGGER_FUNCTION = "alstrial_history_is_append_only"
TRIGGER_NAME = "alstrial_history_append_only"

_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def history_tables(apps, app_label: str) -> list[str]:
    """Database tables of the simple-history models of ``app_label`` in migration state."""
    tables = []
    for model in apps.get_app_config(app_label).get_models():
        names = {field.name for field in model._meta.get_fields()}
        if {"history_id", "history_type", "history_date"} <= names:
            tables.append(model._meta.db_table)
    return sorted(tables)


def _protect(app_label: str):
    def forwards(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = connection.ops.quote_name
        schema_editor.execute(_FUNCTION_SQL, params=None)
        for table in history_tables(apps, app_label):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {quote(table)}")
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER_NAME} BEFORE UPDATE OR DELETE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
            )

    def backwards(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = connection.ops.quote_name
        for table in history_tables(apps, app_label):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {quote(table)}")

    return forwards, backwards


def protect_history(app_label: str) -> migrations.RunPython:
    """A migration operation adding the append-only trigger to ``app_label``'s history tables."""
    forwards, backwards = _protect(app_label)
    return migrations.RunPython(forwards, backwards, elidable=False)

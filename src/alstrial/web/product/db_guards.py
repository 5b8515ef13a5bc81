"""Database triggers: the last line of defence of the chain of identity.

The services refuse a wrong administration long before the database sees it; these triggers make
the database itself refuse a row of ``product_administration`` whose subject is not the donor
of its lot, whatever code path wrote it (a bug, a raw SQL statement, a future importer).
On PostgreSQL and SQLite alike (both support row triggers).
"""

from __future__ import annotations

from django.db import migrations

MESSAGE = "autologous lot refused: the recipient is not the donor of the lot"

_POSTGRES = f"""
CREATE OR REPLACE FUNCTION alstrial_autologous_only() RETURNS trigger AS $$
BEGIN
    IF (SELECT subject_id FROM product_lot WHERE id = NEW.lot_id) <> NEW.subject_id THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS alstrial_autologous_only ON product_administration;
CREATE TRIGGER alstrial_autologous_only BEFORE INSERT OR UPDATE ON product_administration
    FOR EACH ROW EXECUTE FUNCTION alstrial_autologous_only();
"""

_SQLITE = [
    f"""
CREATE TRIGGER IF NOT EXISTS alstrial_autologous_only_{op.lower()}
BEFORE {op} ON product_administration
WHEN (SELECT subject_id FROM product_lot WHERE id = NEW.lot_id) <> NEW.subject_id
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
    for op in ("INSERT", "UPDATE")
]


def _forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_POSTGRES, params=None)
    elif vendor == "sqlite":
        for sql in _SQLITE:
            schema_editor.execute(sql, params=None)


def _backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS alstrial_autologous_only ON product_administration", params=None
        )
    elif vendor == "sqlite":
        for op in ("insert", "update"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS alstrial_autologous_only_{op}", params=None
            )


def guard_autologous() -> migrations.RunPython:
    return migrations.RunPython(_forwards, _backwards, elidable=False)

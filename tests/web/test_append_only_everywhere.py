"""The audit trail is append-only in the database on SQLite as on PostgreSQL: a raw UPDATE or
DELETE on any history table (the administrations' included), the custody ledger or the refused
attempts is refused by a trigger, whatever backend the tests run on (``DATABASE_URL``)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from alstrial.web.audit.sqlite_guards import guarded_tables, install_sqlite_guards
from alstrial.web.product.immutable import LEDGER_TABLES

pytestmark = pytest.mark.django_db


def _refused(sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def _tables_with_rows() -> list[str]:
    with connection.cursor() as cursor:
        out = []
        for table in guarded_tables():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            if cursor.fetchone()[0]:
                out.append(table)
        return out


def test_every_guarded_table_refuses_raw_update_and_delete(enrolled_subject, users):
    from alstrial.web.product.demo import build_lot, ensure_weight
    from alstrial.web.product.models import ReleaseAuthority

    subject = enrolled_subject("seoul")
    ensure_weight(subject, users["coordinator.seoul"])
    lab = users["celllab.seoul"]
    ReleaseAuthority.objects.create(user=lab, site=subject.site)
    build_lot(subject, lab, lab, stage="released", password="pw-for-tests-only")
    tables = _tables_with_rows()
    # the trail of subjects, visits and lots, and the custody ledger, all hold rows
    assert {"subjects_historicalsubject", "subjects_historicalvisit", *LEDGER_TABLES[:1]} <= set(
        tables
    ), tables
    for table in tables:
        _refused(f'UPDATE "{table}" SET id = id')
        _refused(f'DELETE FROM "{table}"')


def test_the_administration_trail_is_guarded():
    tables = guarded_tables()
    assert "product_historicaladministration" in tables
    assert set(LEDGER_TABLES) <= set(tables)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite rebuilds tables to alter them")
def test_guards_come_back_after_a_table_is_rebuilt():
    """SQLite drops a table's triggers when a migration rebuilds it; after migrate they are back."""
    table = "subjects_historicalvisit"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER "alstrial_append_only_{table}_delete"')
    assert table in install_sqlite_guards(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='trigger' AND tbl_name = %s", [table]
        )
        assert cursor.fetchone()[0] == 2


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_leaves_history_that_the_flush_removes(enrolled_subject):
    """Teardown flushes the database (on SQLite the tests' conftest lifts the guards for it);
    the next test finds the guards back."""
    enrolled_subject("seoul")
    assert "subjects_historicalsubject" in _tables_with_rows()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite guards")
@pytest.mark.django_db(transaction=True)
def test_the_guards_are_back_after_a_flush():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='trigger' AND name LIKE %s",
            ["alstrial_append_only_%"],
        )
        assert cursor.fetchone()[0] == 2 * len(guarded_tables())

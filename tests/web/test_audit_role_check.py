"""``check --deploy`` warns when the PostgreSQL role the application connects as could disable
the append-only triggers: it owns the audit tables, or it is a superuser. Run on PostgreSQL with
``DATABASE_URL`` (the tests connect as the cluster's superuser, who owns every table)."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import connection, transaction

from alstrial.web.audit.checks import (
    OWNER_WARNING,
    SUPERUSER_WARNING,
    application_role_cannot_rewrite_the_trail,
)

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")
#: A role without a login, owning nothing: what the application should connect as.
APP_ROLE = "alstrial_check_app_role"


def _ids() -> set[str]:
    return {m.id for m in application_role_cannot_rewrite_the_trail(None)}


@on_postgres
def test_the_owner_and_superuser_is_warned_about():
    assert {OWNER_WARNING, SUPERUSER_WARNING} <= _ids()
    messages = application_role_cannot_rewrite_the_trail(None)
    owner = next(m for m in messages if m.id == OWNER_WARNING)
    assert "historical" in owner.msg  # names the tables
    assert owner.level == checks.WARNING


@on_postgres
def test_an_application_role_that_owns_nothing_passes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
        assert _ids() == set()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no roles")
def test_sqlite_has_nothing_to_warn_about():
    assert _ids() == set()


def test_check_deploy_runs_it():
    """Registered as a deploy check (not a database check, which `check` skips by default)."""
    registered = checks.registry.registry.get_checks(include_deployment_checks=True)
    assert application_role_cannot_rewrite_the_trail in registered

"""Deploy check: the PostgreSQL role the application connects as must not be able to switch off
the append-only triggers. A table's owner (or a superuser) can ``ALTER TABLE ... DISABLE
TRIGGER`` or drop the trigger, so with such a role a raw statement from the application could
still rewrite the trail. ``alstrial manage check --deploy`` warns; docs/operations.md
"Append-only audit" says how to set up an owner role for migrations and an application role.
"""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError, connections

from alstrial.web.audit.sqlite_guards import guarded_tables

OWNER_WARNING = "alstrial.W010"
SUPERUSER_WARNING = "alstrial.W011"
HINT = (
    "Run migrations as an owner role and serve as an application role that owns no table "
    "and is not a superuser (docs/operations.md, 'Append-only audit')."
)


def _postgres_findings(alias: str, connection) -> list[checks.CheckMessage]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE tableowner = current_user "
            "AND tablename = ANY(%s) ORDER BY tablename",
            [guarded_tables()],
        )
        owned = [name for (name,) in cursor.fetchall()]
    found = []
    if superuser:
        found.append(
            checks.Warning(
                f"Database '{alias}': the application connects as superuser '{role}', which "
                "can disable the audit trail's append-only triggers.",
                hint=HINT,
                id=SUPERUSER_WARNING,
            )
        )
    if owned:
        shown = ", ".join(owned[:3]) + (f" and {len(owned) - 3} more" if len(owned) > 3 else "")
        found.append(
            checks.Warning(
                f"Database '{alias}': the application role '{role}' owns {len(owned)} "
                f"append-only audit tables ({shown}), so it can disable their triggers.",
                hint=HINT,
                id=OWNER_WARNING,
            )
        )
    return found


@checks.register(checks.Tags.security, deploy=True)
def application_role_cannot_rewrite_the_trail(app_configs, **kwargs):
    """Warn when the application's PostgreSQL role owns audit tables or is a superuser.

    Tagged ``security``, not ``database``: Django runs database checks only when asked with
    ``--database``, and this one belongs to every ``check --deploy``.
    """
    found = []
    for alias in connections:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            found.extend(_postgres_findings(alias, connection))
        except DatabaseError as error:
            found.append(
                checks.Warning(
                    f"Database '{alias}': could not check who owns the audit tables ({error}).",
                    hint=HINT,
                    id=OWNER_WARNING,
                )
            )
    return found

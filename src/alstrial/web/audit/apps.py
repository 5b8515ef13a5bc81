from django.apps import AppConfig
from django.db.models.signals import post_migrate

from alstrial.web.audit import checks  # noqa: F401  (registers the deploy check)
from alstrial.web.audit.sqlite_guards import guard_after_migrate


class AuditConfig(AppConfig):
    """The audit trail: immutable history tables, per-subject audit page and CSV export."""

    name = "alstrial.web.audit"
    label = "audit"

    def ready(self) -> None:
        # SQLite's append-only triggers, put back after every migrate and flush.
        post_migrate.connect(guard_after_migrate, dispatch_uid="alstrial-sqlite-guards")

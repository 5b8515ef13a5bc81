from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: immutable history tables, per-subject audit page and CSV export."""

    name = "alstrial.web.audit"
    label = "audit"

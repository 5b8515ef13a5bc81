from django.apps import AppConfig


class DataQualityConfig(AppConfig):
    """Data management: edit-check and manual queries and their workflow
    (docs/datamanagement.md)."""

    name = "alstrial.web.dataquality"
    label = "dataquality"
    verbose_name = "Data management"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alstrial.web.dataquality import signals  # noqa: F401  (connects the save hooks)

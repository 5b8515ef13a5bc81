from django.apps import AppConfig

from alstrial.web.core.write_guards import register_write_guard


class DataQualityConfig(AppConfig):
    """Data management: edit-check and manual queries and their workflow
    (docs/datamanagement.md)."""

    name = "alstrial.web.dataquality"
    label = "dataquality"
    verbose_name = "Data management"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models, and modules that import them, load only once the app registry is ready:
        # Django imports this module while it is still filling the registry.
        from alstrial.web.dataquality import signals  # noqa: F401  (connects the save hooks)
        from alstrial.web.dataquality.locks import refuse_frozen_subject, refuse_locked_trial

        register_write_guard(refuse_locked_trial)
        register_write_guard(refuse_frozen_subject)

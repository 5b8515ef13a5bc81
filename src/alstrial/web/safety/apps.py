from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "alstrial.web.safety"
    label = "safety"
    verbose_name = "Safety: adverse events, SAE reporting, stopping rules"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Enrolment is refused while a stopping-rule halt is active, whatever the entry path
        # (subject pages, API, import): see alstrial.web.safety.signals.
        from alstrial.web.safety import signals  # noqa: F401

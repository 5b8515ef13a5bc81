from django.apps import AppConfig

from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel


class SafetyConfig(AppConfig):
    """Adverse events, the SAE reporting clock, stopping rules, safety tables."""

    name = "alstrial.web.safety"
    label = "safety"
    verbose_name = "Safety"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models, and modules that import them, load only once the app registry is ready:
        # Django imports this module while it is still filling the registry.
        # Enrolment is refused while a stopping-rule halt is active, whatever the entry path
        # (subject pages, API, import): see alstrial.web.safety.signals.
        from alstrial.web.safety import signals  # noqa: F401
        from alstrial.web.safety.table_views import dashboard_panel_context

        register_dashboard_panel(DashboardPanel("safety/panel.html", dashboard_panel_context))

from django.apps import AppConfig

from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel


class ReportsConfig(AppConfig):
    """Trial reports built from the database on request, and their downloads."""

    name = "alstrial.web.reports"
    label = "reports"
    verbose_name = "Trial reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Views import models, which load only once the app registry is ready: Django
        # imports this module while it is still filling the registry.
        from alstrial.web.reports.views import dashboard_panel_context

        register_dashboard_panel(DashboardPanel("reports/panel.html", dashboard_panel_context))

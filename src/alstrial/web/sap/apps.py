from django.apps import AppConfig

from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel


class SapConfig(AppConfig):
    """The statistical analysis plan: its lock (hash, time, simulated operating
    characteristics), before unblinding (docs/analysis.md, "Analysis plan")."""

    name = "alstrial.web.sap"
    label = "sap"
    verbose_name = "Statistical analysis plan"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Views import models, which load only once the app registry is ready: Django
        # imports this module while it is still filling the registry.
        from alstrial.web.sap.views import dashboard_panel_context

        register_dashboard_panel(DashboardPanel("sap/panel.html", dashboard_panel_context))

from django.apps import AppConfig

from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel


class ExchangeConfig(AppConfig):
    """Data exchange downloads: SDTM, ODM, data dictionary, statisticians' CSV."""

    name = "alstrial.web.exchange"
    label = "exchange"
    verbose_name = "Data exchange"

    def ready(self) -> None:
        # Views import models, which load only once the app registry is ready: Django
        # imports this module while it is still filling the registry.
        from alstrial.web.exchange.views import dashboard_panel_context

        register_dashboard_panel(DashboardPanel("exchange/panel.html", dashboard_panel_context))

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Data exchange downloads: SDTM, ODM, data dictionary, statisticians' CSV."""

    name = "alstrial.web.exchange"
    label = "exchange"
    verbose_name = "Data exchange"

    def ready(self) -> None:
        from alstrial.web.core.panels import DashboardPanel, register_dashboard_panel
        from alstrial.web.exchange.views import dashboard_panel_context

        register_dashboard_panel(DashboardPanel("exchange/panel.html", dashboard_panel_context))

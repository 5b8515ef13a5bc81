from django.apps import AppConfig


class DesignConfig(AppConfig):
    """The design simulator page (power curves, no database tables)."""

    name = "alstrial.web.design"
    label = "design"
    verbose_name = "Design simulator"

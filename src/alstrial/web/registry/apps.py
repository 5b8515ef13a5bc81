from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """Natural-history registry patients imported from PRO-ACT files."""

    name = "alstrial.web.registry"
    label = "registry"
    verbose_name = "Natural-history registry"

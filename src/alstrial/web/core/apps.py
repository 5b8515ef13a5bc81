from django.apps import AppConfig

from alstrial.web.core import checks  # noqa: F401  (registers the deploy checks)


class CoreConfig(AppConfig):
    """Sites, roles per site, site isolation and the clinical-record base (docs/web.md)."""

    name = "alstrial.web.core"
    label = "core"
    verbose_name = "Sites and roles"

"""System checks: ``alstrial manage check --deploy`` refuses the development secret key."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

DEV_KEY_PREFIX = "alstrial-development-only-key"


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if settings.SECRET_KEY.startswith(DEV_KEY_PREFIX):
        return [
            checks.Error(
                "DJANGO_SECRET_KEY is not set: the development key is in use.",
                hint="Set DJANGO_SECRET_KEY to a long random value in production.",
                id="alstrial.E001",
            )
        ]
    return []

from django.apps import AppConfig


class TrialsConfig(AppConfig):
    """Trials declared by protocol files, and the trial dashboard."""

    name = "alstrial.web.trials"
    label = "trials"

from django.apps import AppConfig


class RandomisationConfig(AppConfig):
    """Allocation of randomised trials (sealed seed, one door) and emergency unblinding."""

    name = "alstrial.web.randomisation"
    label = "randomisation"

from django.apps import AppConfig


class ProductConfig(AppConfig):
    """The autologous cell product: harvest, manufacturing, QC, release, dose, administration."""

    name = "alstrial.web.product"
    label = "product"

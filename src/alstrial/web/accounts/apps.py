from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alstrial.web.accounts"
    label = "accounts"
    verbose_name = "Account history"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pallio.accounts"
    label = "accounts"
    verbose_name = "Accounts"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pallio.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from pallio.accounts import signals  # noqa: F401  (connects the audit receivers)

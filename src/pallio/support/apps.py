from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "pallio.support"
    label = "support"
    verbose_name = "24/7 support line"

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pallio.core"
    label = "core"
    verbose_name = "Core"

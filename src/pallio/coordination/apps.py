from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "pallio.coordination"
    label = "coordination"
    verbose_name = "Coordination of services"

from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "pallio.careplans"
    label = "careplans"
    verbose_name = "Careplans"

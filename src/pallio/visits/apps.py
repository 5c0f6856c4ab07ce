from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "pallio.visits"
    label = "visits"
    verbose_name = "Visits"

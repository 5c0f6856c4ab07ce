from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "pallio.programs"
    label = "programs"
    verbose_name = "Programs"

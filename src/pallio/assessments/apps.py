from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "pallio.assessments"
    label = "assessments"
    verbose_name = "Assessments"

from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "pallio.patients"
    label = "patients"
    verbose_name = "Patients"

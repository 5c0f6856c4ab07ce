from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "pallio.medications"
    label = "medications"
    verbose_name = "Medications"

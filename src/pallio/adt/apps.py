from django.apps import AppConfig


class AdtConfig(AppConfig):
    name = "pallio.adt"
    label = "adt"
    verbose_name = "Hospital admissions, transfers and discharges (HL7 v2 ADT)"

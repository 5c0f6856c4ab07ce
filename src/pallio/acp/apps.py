from django.apps import AppConfig


class AcpConfig(AppConfig):
    name = "pallio.acp"
    label = "acp"
    verbose_name = "Goals of care and advance care planning"

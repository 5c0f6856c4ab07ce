from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pallio.audit"
    label = "audit"
    verbose_name = "Audit"

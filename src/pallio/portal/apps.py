from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "pallio.portal"
    label = "portal"
    verbose_name = "Patient and caregiver portal"

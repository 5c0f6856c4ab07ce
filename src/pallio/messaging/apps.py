from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "pallio.messaging"
    label = "messaging"
    verbose_name = "Secure messages"

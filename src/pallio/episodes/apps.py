from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "pallio.episodes"
    label = "episodes"
    verbose_name = "Episodes"

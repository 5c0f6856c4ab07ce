from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_shipped(**kwargs: Any) -> None:
    """The shipped note templates are data every database must hold: after a migrate, and
    after a flush (which empties what the data migrations wrote), load them."""
    from pallio.visits.services import note_templates_sync_shipped

    note_templates_sync_shipped()


class VisitsConfig(AppConfig):
    name = "pallio.visits"
    label = "visits"
    verbose_name = "Visits"

    def ready(self) -> None:
        post_migrate.connect(_load_shipped, sender=self, dispatch_uid="visits-shipped-templates")

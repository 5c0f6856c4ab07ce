from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_shipped(**kwargs: Any) -> None:
    """Shipped instruments and default alert rules are data every database must hold: after a
    migrate, and after a flush (which empties what the data migrations wrote), load them."""
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()


class AssessmentsConfig(AppConfig):
    name = "pallio.assessments"
    label = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        post_migrate.connect(_load_shipped, sender=self, dispatch_uid="assessments-shipped-data")

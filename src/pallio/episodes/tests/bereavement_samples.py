"""Sample bereavement follow-ups for tests and the security walks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pallio.acp import services as acp
from pallio.acp.tests.factories import agent_input
from pallio.core import clock
from pallio.episodes.bereavement import bereavement_open
from pallio.episodes.models import BereavementFollowUp


def add_family(world: Any, patient: Any, **extra: Any) -> Any:
    """A family member of `patient` (a related person), recorded as the last alternate unless
    told, so that a test's own healthcare agent (rank 0) can still be added."""
    extra.setdefault("rank", 5)
    return acp.agent_add(actor=world.physician, patient=patient, data=agent_input(**extra))


def bereaved(
    world: Any, patient: Any = None, *, died_at: datetime | None = None, family: bool = True
) -> BereavementFollowUp:
    """`patient` (alice by default) died `died_at` (40 days ago unless told); the follow-up
    is open, with a family member on record unless `family` is False."""
    patient = patient or world.alice
    existing = BereavementFollowUp.objects.filter(patient=patient).first()
    if existing is not None:
        return existing
    if family and not patient.healthcare_agents.filter(entered_in_error=False).exists():
        add_family(world, patient)
    died_at = died_at or clock.now() - timedelta(days=40)
    return bereavement_open(actor=world.physician, patient=patient, died_at=died_at)

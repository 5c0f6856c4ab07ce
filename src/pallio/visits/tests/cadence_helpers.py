"""Cadences, past visits and appointments elsewhere for the cadence tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pallio.core import clock
from pallio.visits.cadence_models import VisitCadence
from pallio.visits.models import Place, ScheduledVisit
from pallio.visits.services import cadence, scheduling
from pallio.visits.tests.scheduling_helpers import at

# Tuesday 10 March 2026, 11:00 in Riverside (America/New_York, daylight time).
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def set_cadence(world: Any, frequency: str = "weekly", **overrides: Any) -> VisitCadence:
    values: dict[str, Any] = {
        "actor": world.navigator,
        "patient": world.alice,
        "discipline": "physician",
        "frequency": frequency,
    }
    values.update(overrides)
    return cadence.cadence_set(**values)


def since(found: VisitCadence, days_ago: int) -> VisitCadence:
    """The cadence as if set `days_ago` days ago."""
    VisitCadence.objects.filter(pk=found.pk).update(
        since=clock.today_in("America/New_York") - timedelta(days=days_ago)
    )
    found.refresh_from_db()
    return found


def visit_on(
    world: Any,
    days: int,
    *,
    clinician: Any = None,
    status: str = "completed",
    patient: Any = None,
) -> ScheduledVisit:
    """A visit `days` from today (negative: in the past) at 10:00, written directly (the
    booking service refuses a time already passed)."""
    clinician = clinician or world.physician
    patient = patient or world.alice
    starts = at(world, days, 10)
    return ScheduledVisit.objects.create(
        program=world.riverside,
        patient=patient,
        clinician=clinician,
        discipline=clinician.discipline,
        kind="follow_up",
        setting="telehealth",
        mode="video",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=status,
    )


def cancer_center(world: Any) -> Place:
    return scheduling.place_create_facility(
        actor=None,
        program=world.riverside,
        setting="cancer_center",
        name="Cancer Center Infusion Suite",
    )


def infusion(world: Any, days: int = 2, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "actor": world.navigator,
        "patient": world.alice,
        "kind": "infusion",
        "starts_at": at(world, days, 9),
        "ends_at": at(world, days, 13),
        "description": "Cycle 3",
    }
    if "site" not in overrides and "place" not in overrides:
        values["place"] = Place.objects.filter(setting="cancer_center").first() or cancer_center(
            world
        )
    values.update(overrides)
    return cadence.appointment_record(**values)

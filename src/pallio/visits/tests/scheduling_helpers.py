"""Places and booked visits for the scheduling tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.core import clock
from pallio.visits.models import Place
from pallio.visits.services import scheduling


def at(world: Any, days: int, hour: int, minute: int = 0) -> datetime:
    """`days` from today at `hour`:`minute`, Riverside time."""
    zone = ZoneInfo(world.riverside.timezone)
    day = clock.now().astimezone(zone).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def alice_home(world: Any, **overrides: Any) -> Place:
    values: dict[str, Any] = {
        "actor": world.navigator,
        "patient": world.alice,
        "setting": "home",
        "name": "Home",
        "line": "12 Elm Street",
        "city": "Cambridge",
        "postal_code": "02139",
        "latitude": "42.365100",
        "longitude": "-71.104000",
        "access_notes": "Door code 4512. A friendly dog. Park in the driveway.",
    }
    values.update(overrides)
    return scheduling.place_save_home(**values)


def clinic(world: Any, program: Any = None) -> Place:
    return scheduling.place_create_facility(
        actor=None,
        program=program or world.riverside,
        setting="clinic",
        name="Supportive Care Clinic",
    )


def book(world: Any, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "actor": world.navigator,
        "patient": world.alice,
        "clinician": world.physician,
        "setting": "home",
        "kind": "follow_up",
        "starts_at": at(world, 2, 10),
        "ends_at": at(world, 2, 11),
    }
    if "place" not in overrides and overrides.get("setting", "home") == "home":
        values["place"] = Place.objects.filter(patient=world.alice).first() or alice_home(world)
    values.update(overrides)
    return scheduling.scheduled_visit_book(**values)

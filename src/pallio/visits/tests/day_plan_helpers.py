"""A physician's home-visit day for the day plan tests: patients on the physician's team, each
with a home on the map around Cambridge, and the program's office set."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.support.personas import make_patient

from pallio.visits.models import Place, ScheduledVisit
from pallio.visits.services import scheduling
from pallio.visits.tests.scheduling_helpers import at

OFFICE = {"name": "Riverside office", "address": "", "latitude": 42.3601, "longitude": -71.0942}

# (given name, latitude, longitude): homes a few kilometres apart.
HOMES = [
    ("Ada", 42.3736, -71.1097),
    ("Ben", 42.3876, -71.0995),
    ("Cleo", 42.3519, -71.1300),
    ("Dov", 42.3398, -71.0892),
    ("Eve", 42.3954, -71.1427),
]


def set_office(world: Any, office: dict[str, Any] | None = None) -> None:
    program = world.riverside
    program.settings = {**program.settings, "day_plan_office": OFFICE if office is None else office}
    program.save()


def home_of(world: Any, patient: Any, lat: float | None, lon: float | None) -> Place:
    return scheduling.place_save_home(
        actor=world.coordinator,
        patient=patient,
        setting="home",
        name="Home",
        line=f"{patient.given_name} Street 1",
        city="Nowhere Town",
        latitude="" if lat is None else f"{lat:.6f}",
        longitude="" if lon is None else f"{lon:.6f}",
    )


def home_day(
    world: Any, *, days: int = 2, count: int = 4, clinician: Any = None, no_geocode: int = -1
) -> list[ScheduledVisit]:
    """`count` home visits of the physician `days` from today, booked an hour apart from
    13:00 backwards in the list order (so the plan has work to do); the `no_geocode`-th home
    has no map location."""
    clinician = clinician or world.physician
    visits = []
    for index, (given, lat, lon) in enumerate(HOMES[:count]):
        patient = make_patient(world.riverside, given, "Home", date(1950, 1, 1), team=(clinician,))
        place = (
            home_of(world, patient, None, None)
            if index == no_geocode
            else home_of(world, patient, lat, lon)
        )
        starts = at(world, days, 13) - timedelta(hours=index)
        visits.append(
            scheduling.scheduled_visit_book(
                actor=world.coordinator,
                patient=patient,
                clinician=clinician,
                setting="home",
                place=place,
                kind="follow_up",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
            )
        )
    return visits

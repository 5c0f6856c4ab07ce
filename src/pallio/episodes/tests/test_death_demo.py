"""The demo's deaths and discharges: written through the services, closing open work."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from tests.support.personas import make_patient

from pallio.careplans.models import Task
from pallio.core import clock
from pallio.episodes.bereavement import ADD_FAMILY_TASK
from pallio.episodes.models import DeathRecord, EpisodeOfCare
from pallio.episodes.transitions_demo import transitions_demo_populate

pytestmark = pytest.mark.django_db


def test_the_demo_has_deaths_at_home_and_in_hospital_and_discharges_with_reasons(world):
    for i in range(6):
        make_patient(
            world.riverside, f"Demo{i}", "Patient", date(1940 + i, 1, 5), team=(world.navigator,)
        )
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=60))
    patients = [p for p in world.riverside.patients.order_by("mrn") if p.episodes.exists()]
    counts = transitions_demo_populate(
        program=world.riverside,
        patients=patients,
        rng=random.Random(5),
        today=clock.today_in(world.riverside.timezone),
    )
    assert counts == {"deaths": 2, "discharges": 4}
    home, ward = (DeathRecord.objects.get(place=p) for p in ("home", "hospital_ward"))
    assert home.at_preferred_place is True
    assert ward.at_preferred_place is False
    for record in (home, ward):
        assert not (
            Task.objects.filter(patient=record.patient, status="open")
            .exclude(title=ADD_FAMILY_TASK)
            .exists()
        )
        assert record.patient.episodes.get().discharge_reason == "death"
    reasons = set(
        EpisodeOfCare.objects.exclude(discharge_reason="").values_list(
            "discharge_reason", flat=True
        )
    )
    assert reasons == {"death", "goals_met", "moved_away", "declined", "other"}

"""The demo's coordination: a directory of agencies serving the patients' towns, orders open
and completed, and the follow-up tasks of those not confirmed in time; the same for the same
seed."""

from __future__ import annotations

import random
from datetime import date

import pytest
from tests.support.personas import make_patient

from pallio.careplans.models import Task
from pallio.coordination import selectors
from pallio.coordination.demo import coordination_demo_populate
from pallio.coordination.models import Agency, CoordinationOrder
from pallio.coordination.tests.helpers import NOON, TODAY
from pallio.core import clock
from pallio.patients.models import Patient

pytestmark = pytest.mark.django_db
TOWNS = (("Cambridge", "02139"), ("Somerville", "02143"), ("Medford", "02155"))


def _populate(world, program, seed):
    patients = [
        make_patient(program, f"Demo{n}", f"Patient{n}", date(1945, 2, n + 1)) for n in range(5)
    ]
    for n, patient in enumerate(patients):
        city, code = TOWNS[n % len(TOWNS)]
        Patient.objects.filter(pk=patient.pk).update(city=city, postal_code=code)
        patient.city, patient.postal_code = city, code
    with clock.frozen(NOON):
        return coordination_demo_populate(
            program=program, patients=patients, rng=random.Random(seed), today=TODAY
        )


def test_the_demo_has_a_directory_and_open_and_completed_orders(world):
    counts = _populate(world, world.riverside, 7)
    assert counts == {"agencies": 12, "orders": 10, "follow_ups": 2}
    statuses = sorted(CoordinationOrder.objects.values_list("status", flat=True))
    assert (
        statuses == ["cancelled", "declined"] + ["done"] * 3 + ["ordered"] * 3 + ["requested"] * 2
    )
    assert Task.objects.filter(title__startswith="Follow up:").count() == 2
    group = Agency.objects.get(name="Caregivers Circle")
    found = selectors.agencies_search(
        world.coordinator, kind="support_group", area=group.area_list[0]
    )
    assert group in list(found)
    with clock.frozen(NOON):
        first = selectors.worklist_for(world.coordinator, 1).object_list[0]
    assert first.overdue


def test_the_demo_is_the_same_for_the_same_seed(world):
    _populate(world, world.riverside, 7)
    _populate(world, world.hillside, 7)

    def areas(program):
        rows = Agency.objects.filter(program=program).order_by("name")
        return list(rows.values_list("name", "areas"))

    assert areas(world.riverside) == areas(world.hillside)
    assert any(a for _, a in areas(world.riverside))

"""The demo's hospital messages: stays applied for enrolled patients, and the review queue's
cases waiting for the coordinator."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.support.personas import make_patient

from pallio.adt.demo import adt_demo_populate
from pallio.adt.models import AdtMessage
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare, HospitalStay

pytestmark = pytest.mark.django_db


def test_the_demo_applies_stays_and_fills_the_review_queue(world):
    now = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)
    patients = [world.alice] + [
        make_patient(world.riverside, given, "Demo", date(1950, 1, 20 + i), team=(world.navigator,))
        for i, given in enumerate(["Carla", "Dmitri", "Eun", "Femi"])
    ]
    EpisodeOfCare.objects.update(start=now - timedelta(days=365))
    with clock.frozen(now):
        counts = adt_demo_populate(
            program=world.riverside, patients=patients, rng=random.Random(3), now=now
        )
    assert counts == {"applied": 5, "unmatched": 2, "error": 1, "duplicate": 1}
    stays = HospitalStay.objects.filter(program_id=world.riverside.pk)
    assert stays.count() == 3
    assert stays.filter(icu=True, discharged_at__isnull=True).count() == 1
    assert stays.filter(disposition="hospice").count() == 1
    assert AdtMessage.objects.filter(program=world.hillside).count() == 0

"""The demo's hospital stays: a readmission, an ADT-fed stay, and intensive care against the
recorded wishes with its review for the team."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from tests.support.personas import make_patient

from pallio.acp import services as acp
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare, HospitalStay, StayReview
from pallio.episodes.stays_demo import stays_demo_populate

pytestmark = pytest.mark.django_db


def test_the_demo_has_stays_a_readmission_and_icu_care_to_review(world):
    today = clock.today_in(world.riverside.timezone)
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=200))
    acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr_dni",
        effective_date=today - timedelta(days=60),
        expected_current_id=None,
    )
    patients = [world.bob] + [
        make_patient(world.riverside, f"Demo{n}", "Patient", world.alice.birth_date)
        for n in range(8)
    ]
    patients.insert(4, world.alice)
    counts = stays_demo_populate(
        program=world.riverside, patients=patients, rng=random.Random(5), today=today
    )
    assert counts["readmissions"] == 1 and counts["icu_reviews"] >= 1
    assert HospitalStay.objects.filter(is_readmission=True).count() == 1
    assert HospitalStay.objects.filter(source="hl7_adt", discharged_at__isnull=True).exists()
    # DNR/DNI speaks to intubation (not to intensive care as such).
    review = StayReview.objects.get(patient=world.alice)
    assert review.reason == "intubation"
    assert "DNR/DNI" in review.wishes and review.is_open
    assert not HospitalStay.objects.filter(program=world.hillside).exists()

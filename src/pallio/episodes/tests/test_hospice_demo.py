"""The demo's hospice transitions: referrals in every state (one admitted and discharged to
hospice, one declined with a reason) and patients on the hospice conversation worklist."""

from __future__ import annotations

import random
from datetime import date

import pytest
from tests.support.personas import make_patient

from pallio.episodes.hospice import hospice_worklist_for
from pallio.episodes.hospice_demo import hospice_demo_populate
from pallio.episodes.models import EpisodeOfCare, HospiceReferral
from pallio.episodes.tests.hospice_samples import today

pytestmark = pytest.mark.django_db


def test_the_demo_has_referrals_in_every_state_and_a_worklist(hworld):
    patients = [hworld.alice] + [
        make_patient(
            hworld.riverside,
            f"Demo{n}",
            f"Patient{n}",
            date(1945, 2, n + 1),
            team=(hworld.navigator, hworld.physician),
        )
        for n in range(7)
    ]
    counts = hospice_demo_populate(
        program=hworld.riverside, patients=patients, rng=random.Random(5), today=today(hworld)
    )
    assert counts == {"hospice_referrals": 4, "hospice_admitted": 1, "hospice_candidates": 4}
    statuses = sorted(HospiceReferral.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "admitted", "declined", "sent"]
    admitted = HospiceReferral.objects.get(status="admitted")
    assert EpisodeOfCare.objects.get(pk=admitted.episode_id).status == "finished"
    assert HospiceReferral.objects.get(status="declined").declined_reason
    listed = {row.patient for row in hospice_worklist_for(hworld.director, 1)}
    assert listed == set(patients[4:8])
    assert not HospiceReferral.objects.filter(program=hworld.hillside).exists()

"""The demo holds bereaved families in follow-up: some contacts done, some due."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from pallio.core import clock
from pallio.episodes.bereavement_demo import bereavement_demo_populate
from pallio.episodes.bereavement_selectors import worklist_page_for
from pallio.episodes.models import BereavementContact, BereavementFollowUp

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def test_the_demo_has_families_with_contacts_done_and_due(world):
    with clock.frozen(NOON):
        counts = bereavement_demo_populate(
            program=world.riverside, rng=random.Random(3), today=clock.today_in("UTC")
        )
        rows = list(worklist_page_for(world.social_worker, 1).object_list)
    # No one had died in this program: two patients were marked dead through the service.
    world.alice.refresh_from_db()
    assert world.alice.deceased_at is not None
    assert counts["families"] == 2 == BereavementFollowUp.objects.count()
    done = BereavementContact.objects.filter(status="done")
    assert counts["contacts_done"] == done.count() >= 2
    assert {c.patient_id for c in done if c.caregiver} <= {world.alice.pk, world.bob.pk}
    assert all(c.caregiver is not None for c in done)
    assert BereavementContact.objects.filter(status="due").exists()
    # The social worker joined the teams and sees the contacts due on the worklist.
    assert rows and all(r.status == "due" for r in rows)
    assert not BereavementFollowUp.objects.filter(program=world.hillside).exists()


def test_the_demo_opens_nothing_twice(world):
    with clock.frozen(NOON):
        bereavement_demo_populate(program=world.riverside, rng=random.Random(3), today=NOON.date())
        again = bereavement_demo_populate(
            program=world.riverside, rng=random.Random(3), today=NOON.date()
        )
    assert again["families"] == 0 and BereavementFollowUp.objects.count() == 2

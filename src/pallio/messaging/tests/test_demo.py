"""The demo's messages: made through the services, one answered, the others awaiting."""

from __future__ import annotations

import pytest

from pallio.messaging.demo import messaging_demo_populate
from pallio.messaging.models import Thread

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_answered_thread_and_one_awaiting_an_answer(world):
    assert messaging_demo_populate(program=world.riverside, patients=[world.bob]) == 0
    assert messaging_demo_populate(program=world.riverside, patients=[world.alice]) == 1
    [answered] = Thread.objects.all()
    assert not answered.awaiting_team and answered.messages.count() == 2
    assert answered.routed_to == world.navigator

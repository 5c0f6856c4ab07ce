"""The demo's support line operations (issue 13, requirement 10): one open escalation on
last night's calls and this morning's hand-off built, with or without the roster and calls."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from pallio.careplans.models import Task
from pallio.support.handoff import day_shift_start
from pallio.support.models import Call, CallEscalation, CallFollowUp, Disposition, Line
from pallio.support.ops_demo import support_ops_demo_populate
from pallio.support.tests.ops_samples import make_call, make_shift

TODAY = date(2026, 11, 24)


@pytest.mark.django_db
def test_the_demo_escalates_one_of_last_nights_calls_and_builds_the_handoff(world):
    morning = day_shift_start(world.riverside, TODAY)
    make_shift(world, Line.SECOND, world.physician, morning - timedelta(hours=13))
    waiting = make_call(world, received_at=morning - timedelta(hours=3))
    make_call(world, received_at=morning - timedelta(hours=4), disposition=Disposition.NURSE_VISIT)
    make_call(world, received_at=morning - timedelta(hours=5), disposition=Disposition.ADVICE)

    counts = support_ops_demo_populate(program=world.riverside, rng=random.Random(1), today=TODAY)

    assert counts == {"escalations": 1, "handoff_tasks": 2}
    step = CallEscalation.objects.get()
    assert step.call_id == waiting.pk and step.sent_to == world.physician
    assert step.sent_at is not None and not step.nobody_on_shift
    waiting.refresh_from_db()
    assert waiting.acknowledged_at is None  # still open on the on-call screen
    assert CallFollowUp.objects.count() == 2
    # Loaded again, nothing is made twice.
    again = support_ops_demo_populate(program=world.riverside, rng=random.Random(1), today=TODAY)
    assert again == {"escalations": 0, "handoff_tasks": 0}
    assert Task.objects.filter(kind="follow_up").count() == 2


@pytest.mark.django_db
def test_without_roster_or_calls_the_demo_records_one_call_and_pages_the_director(world):
    from pallio.episodes.models import EpisodeOfCare

    assert EpisodeOfCare.objects.filter(patient=world.alice, status="active").exists()
    counts = support_ops_demo_populate(program=world.riverside, rng=random.Random(1), today=TODAY)
    assert counts["escalations"] == 1
    step = CallEscalation.objects.get()
    assert step.nobody_on_shift and step.sent_to == world.director
    assert Call.objects.get().patient == world.alice
    assert counts["handoff_tasks"] == 1  # the call nobody answered: call back

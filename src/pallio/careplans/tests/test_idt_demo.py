"""The demo's team meetings: last week's signed, this week's agenda built."""

from __future__ import annotations

import random

import pytest

from pallio.careplans.idt_demo import idt_demo_populate
from pallio.careplans.models import IdtAgendaItem, IdtMeeting, IdtTeam
from pallio.core import clock

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_signed_meeting_and_this_weeks_agenda(world):
    counts = idt_demo_populate(
        program=world.riverside,
        rng=random.Random(3),
        today=clock.today_in(world.riverside.timezone),
    )
    team = IdtTeam.objects.get(program=world.riverside)
    last, this = IdtMeeting.objects.filter(team=team).order_by("scheduled_for")
    assert last.is_signed and "Present:" in last.minutes and last.signed_by == world.director
    assert IdtAgendaItem.objects.filter(meeting=last, discussed_at__isnull=False).exists()
    assert this.status == IdtMeeting.Status.PLANNED and this.agenda_built_at is not None
    assert this.agenda_since == last.scheduled_for
    assert counts["idt_meetings"] == 2
    assert not IdtTeam.objects.filter(program=world.hillside).exists()

"""Teams and meetings for the team meeting tests and the project's access walks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pallio.careplans.idt import idt_meeting_create, idt_team_create
from pallio.careplans.models import IdtMeeting, IdtTeam
from pallio.core import clock


def riverside_team(world: Any, *members: Any) -> IdtTeam:
    """Riverside's team: alice's navigator and physician, unless other members are named."""
    cached = getattr(world, "_idt_team", None)
    if cached is not None and not members:
        return cached
    team = idt_team_create(
        actor=world.director,
        program=world.riverside,
        name="Riverside North" if not members else f"Team {len(members)}-{clock.now():%H%M%S%f}",
        members=list(members) or [world.navigator, world.physician],
    )
    if not members:
        world._idt_team = team
    return team


def planned_meeting(
    world: Any, team: IdtTeam | None = None, when: datetime | None = None
) -> IdtMeeting:
    """A meeting of the team tomorrow, its agenda built (alice is on it: newly admitted)."""
    team = team or riverside_team(world)
    return idt_meeting_create(
        actor=world.director,
        team=team,
        scheduled_for=when or clock.now() + timedelta(days=1),
    )


def riverside_meeting(world: Any) -> IdtMeeting:
    """The access walk's meeting, made once per world, with alice's item on its agenda."""
    cached = getattr(world, "_idt_meeting", None)
    if cached is None:
        cached = world._idt_meeting = planned_meeting(world)
    return cached

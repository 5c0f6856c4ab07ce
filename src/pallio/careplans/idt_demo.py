"""The demo's weekly team meetings (issue 9, requirement 8): a team of the demo's named
clinicians, last week's meeting run and its minutes signed, and this week's meeting with its
agenda built from the record. Written through the team meeting services, so every row is
audited like a real one."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from pallio.accounts.models import User
from pallio.careplans import idt
from pallio.careplans.models import IdtAgendaItem, IdtMeeting
from pallio.core import clock, privileges

# How many patients last week's meeting discussed (the rest are listed as not discussed).
DISCUSSED_LAST_WEEK = 6
NOTES = (
    "Symptoms better controlled since the last visit; family coping.",
    "Pain still waking her at night; the nurse will review the breakthrough doses.",
    "Daughter exhausted; social work to look at respite.",
    "Wants to stay at home; goals of care conversation planned with the family.",
    "Eating less this week; dietitian to call.",
    "Talked about hospice; the family wants time to think.",
)
DECISIONS = (
    "Call the family to arrange a family meeting",
    "Review breakthrough pain medication at the next visit",
    "Refer for respite care",
)


@transaction.atomic
def idt_demo_populate(*, program: Any, rng: random.Random, today: date) -> dict[str, int]:
    """Give `program` a team and two meetings. Returns counts for the demo's summary line."""
    staff = list(
        User.objects.filter(
            program=program, is_active=True, role__in=["clinician", "medical_director"]
        ).order_by("username")
    )
    logins = (
        set(program.setting("demo_logins") or []) if "demo_logins" in program.settings else set()
    )
    named = [u for u in staff if not logins or u.username in logins]
    members = [u for u in named if privileges.can(u, "idt.run")]
    director = next((u for u in staff if u.role == "medical_director"), None)
    leader = director or next((u for u in members if privileges.can(u, "idt.sign")), None)
    if leader is None or not members:
        return {}
    if leader not in members:
        members.append(leader)
    team = idt.idt_team_create(
        actor=leader,
        program=program,
        name="Interdisciplinary team",
        members=members,
        weekday=2,
    )
    upcoming = idt.next_meeting_time(team)
    last_week = idt.idt_meeting_create(
        actor=leader, team=team, scheduled_for=upcoming - timedelta(days=7)
    )
    _run_and_sign(last_week, leader=leader, members=members, rng=rng, today=today)
    this_week = idt.idt_meeting_create(actor=leader, team=team, scheduled_for=upcoming)
    return {
        "idt_meetings": 2,
        "idt_agenda_items": IdtAgendaItem.objects.filter(meeting=this_week).count(),
    }


def _run_and_sign(
    meeting: IdtMeeting, *, leader: Any, members: list[Any], rng: random.Random, today: date
) -> None:
    idt.idt_meeting_start(actor=leader, meeting=meeting, expected_version=meeting.version)
    present = [m for m in members if rng.random() < 0.85] or members[:1]
    idt.idt_attendance_set(
        actor=leader, meeting=meeting, present=present, expected_version=meeting.version
    )
    items = list(
        IdtAgendaItem.objects.filter(meeting=meeting)
        .select_related("meeting__program", "patient", "episode")
        .order_by("position")[:DISCUSSED_LAST_WEEK]
    )
    for n, item in enumerate(items):
        idt.idt_item_discuss(
            actor=leader,
            item=item,
            discussion=NOTES[n % len(NOTES)],
            discussed=True,
            expected_version=item.version,
        )
        if n % 2 == 0:
            owner = rng.choice(present)
            idt.idt_decision_record(
                actor=leader,
                item=item,
                kind="task",
                text=DECISIONS[n // 2 % len(DECISIONS)],
                owner=owner,
                due=max(today, clock.today_in(meeting.program.timezone)) + timedelta(days=2),
            )
        else:
            idt.idt_decision_record(
                actor=leader, item=item, kind="note", text="Continue the current plan"
            )
    meeting.refresh_from_db()
    idt.idt_meeting_sign(
        actor=leader,
        meeting=meeting,
        minutes=idt.minutes_draft(meeting),
        expected_version=meeting.version,
    )

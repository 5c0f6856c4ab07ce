"""The demo program's on-call roster: a weekly pattern for its nurses and physicians and a
month of shifts built from it (two weeks back, two weeks ahead) with one swap. Deterministic:
the same staff and the same day give the same roster."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.apps import apps

from pallio.core import access
from pallio.support import roster
from pallio.support.models import Line, Shift

# Nights and weekends on the first line go to the on-call clinician; weekday days to the
# nurses of the program; the second line to its physicians, a day each.
NIGHT_START = time(17, 0)
DAY_START = time(8, 0)


def _people(program: Any, **filters: Any) -> list[Any]:
    user_model = apps.get_model("accounts", "User")
    return list(
        user_model.objects.filter(program=program, is_active=True, **filters).order_by("username")
    )


def roster_demo_populate(*, program: Any, today: date) -> int:
    """Write the pattern and the month of shifts through the roster services, as the
    program's care coordinator. Returns the number of shifts built."""
    coordinator = _people(program, role=access.ROLE_INTAKE)[0]
    on_call = _people(program, role=access.ROLE_ON_CALL)
    nurses = _people(
        program, role=access.ROLE_CLINICIAN, discipline__in=["nurse", "nurse_navigator"]
    )
    nurse_practitioners = _people(
        program, role=access.ROLE_CLINICIAN, discipline="nurse_practitioner"
    )
    physicians = _people(program, role__in=access.CLINICAL_ROLES, discipline="physician")
    night_people = (on_call + nurse_practitioners)[:3] or nurses[:1]
    day_people = nurses[:3] or night_people
    if not physicians:
        physicians = night_people
    holiday_cover = physicians[-1]

    def slot(line: str, weekday: int, start: time, hours: int, user: Any) -> None:
        roster.pattern_slot_add(
            actor=coordinator,
            line=line,
            weekday=weekday,
            start_time=start,
            hours=hours,
            user=user,
            holiday_user=holiday_cover if line == Line.SECOND else None,
        )

    for weekday in range(7):
        weekend = weekday >= 5
        if weekend:
            # Saturday and Sunday: one person for the whole day and night.
            slot(Line.FIRST, weekday, DAY_START, 24, night_people[weekday % len(night_people)])
        else:
            slot(Line.FIRST, weekday, DAY_START, 9, day_people[weekday % len(day_people)])
            # The on-call clinician takes most weeknights.
            night = night_people[0] if weekday % 2 == 0 else night_people[-1]
            slot(Line.FIRST, weekday, NIGHT_START, 15, night)
        slot(Line.SECOND, weekday, DAY_START, 24, physicians[weekday % len(physicians)])
    result = roster.shifts_build(
        actor=coordinator,
        program=program,
        first=today - timedelta(days=14),
        last=today + timedelta(days=16),
    )
    # One swap: a first-line night later this week changes hands.
    upcoming = (
        Shift.objects.filter(
            program=program, line=Line.FIRST, starts_at__date__gt=today, cancelled=False
        )
        .exclude(user=night_people[-1])
        .order_by("starts_at")
        .first()
    )
    if upcoming is not None and len(night_people + day_people) > 1:
        to_user = next(p for p in night_people + day_people if p.pk != upcoming.user_id)
        roster.shift_swap(
            actor=coordinator,
            shift=upcoming,
            to_user=to_user,
            note="Swapped for a family event",
        )
    return result.created

"""Demo home-visit days for `make run`: the program's office, and on one weekday of the demo
week four home visits each for two clinicians, booked out of geographic order (and one
patient available only in the afternoon), so the day plan page has a real plan to show."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.episodes.services import care_team_add
from pallio.visits.models import Place, ScheduledVisit, VisitKind
from pallio.visits.services import scheduling

DEMO_OFFICE = {
    "name": "Riverside palliative care office",
    "address": "",
    "latitude": 42.3601,
    "longitude": -71.0589,
}
VISITS_EACH = 4
LENGTH = timedelta(minutes=45)


def _weekday(today: date) -> date:
    for offset in range(1, 7):
        day = today + timedelta(days=offset)
        if day.weekday() < 5:
            return day
    return today + timedelta(days=1)


def _free_starts(clinician: Any, day: date, zone: ZoneInfo) -> list[datetime]:
    """Half-hour starts from 08:30 to 16:00 that leave the clinician's other visits alone."""
    starts = []
    for minutes in range(8 * 60 + 30, 16 * 60 + 1, 30):
        at = datetime.combine(day, time(minutes // 60, minutes % 60), zone)
        if (
            scheduling._overlapping(clinician, at - timedelta(minutes=15), at + LENGTH, None)
            is None
        ):
            starts.append(at)
    return starts


def day_plan_demo_populate(
    *,
    program: Any,
    clinicians: Sequence[Any],
    homes: Sequence[tuple[Any, Place]],
    booker: Any,
    rng: random.Random,
    today: date,
) -> int:
    """The office setting (unless the program has one) and the two clinicians' home days;
    returns the visits booked."""
    settings = dict(program.settings or {})
    settings.setdefault("day_plan_office", DEMO_OFFICE)
    program.settings = settings
    program.save(update_fields=["settings"])
    mapped = [(p, h) for p, h in homes if h.latitude is not None]
    if len(clinicians) < 2 or len(mapped) < 2 * VISITS_EACH:
        return 0
    zone = ZoneInfo(program.timezone)
    day = _weekday(today)
    chosen = rng.sample(mapped, 2 * VISITS_EACH)
    booked = 0
    for n, clinician in enumerate(clinicians[:2]):
        starts = _free_starts(clinician, day, zone)
        mine = chosen[n * VISITS_EACH : (n + 1) * VISITS_EACH]
        # Booked in the order the requests came in, not along the road.
        taken: list[datetime] = []
        for index, (patient, home) in enumerate(mine):
            free = [s for s in starts if all(abs(s - t) >= timedelta(minutes=60) for t in taken)]
            if not free:
                break
            at = free[(index * 3) % len(free)]
            taken.append(at)
            episode = EpisodeOfCare.objects.filter(
                patient=patient, status=EpisodeOfCare.Status.ACTIVE
            ).first()
            if episode is None:
                continue
            if not CareTeamMember.objects.filter(
                user=clinician, patient=patient, active=True
            ).exists():
                care_team_add(actor=None, episode=episode, user=clinician)
            visit = scheduling.scheduled_visit_book(
                actor=booker,
                patient=patient,
                clinician=clinician,
                setting=home.setting,
                place=home,
                kind=VisitKind.FOLLOW_UP,
                priority="routine",
                starts_at=at,
                ends_at=at + LENGTH,
                note="Home visit round",
            )
            if index == 1:  # the daughter is at home in the afternoon
                ScheduledVisit.objects.filter(pk=visit.pk).update(
                    available_from=time(13, 0), available_until=time(16, 0)
                )
            booked += 1
    return booked

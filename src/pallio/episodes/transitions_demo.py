"""The demo's deaths and discharges, through the real services: a death at home where the
patient wished to die, a death on a hospital ward against a wish to die at home, and
discharges for goals met, a move, a decision to stop, and another reason. Each death closes
the patient's open work, discharges the enrollment and writes to the referrer, as on a page.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.accounts.models import User
from pallio.core import clock, privileges
from pallio.episodes.death import DeathInput, death_record
from pallio.episodes.discharge import episode_discharge
from pallio.episodes.models import EpisodeOfCare

# (place of death, wished-for place it is set against, who was there, expected)
DEATHS = [
    ("home", "home", "Her daughter and the hospice aide", True),
    ("hospital_ward", "home", "His wife", False),
]
DISCHARGES = [
    ("goals_met", "Symptoms controlled for two months; back with the oncology team."),
    ("moved_away", "Moved to live with a son in another state; care handed to a local team."),
    ("declined", "Chose to stop visits after the last admission; knows how to come back."),
    ("other", "Enrolled in a research program that provides its own supportive care."),
]


def _actor(program: Any) -> Any:
    """The medical director: reaches every patient and may record deaths and discharges."""
    users = User.objects.filter(program=program, is_active=True, role="medical_director")
    return next(
        (
            u
            for u in users.order_by("username")
            if privileges.can(u, "death.record") and privileges.can(u, "episode.discharge")
        ),
        None,
    )


def transitions_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Deaths and discharges among `patients` (enrolled, alive, in a fixed order), dated in
    the days before `today`. Returns counts for the demo's summary."""
    from pallio.acp.models import PlacePreference
    from pallio.acp.services import place_preference_set

    actor = _actor(program)
    zone = ZoneInfo(program.timezone)
    anchor = datetime.combine(today, time(0, 0), tzinfo=zone)
    cutoff = anchor - timedelta(days=21)
    candidates = [
        p
        for p in patients
        if p.deceased_at is None
        and EpisodeOfCare.objects.filter(patient=p, status="active", start__lt=cutoff).exists()
    ]
    if actor is None or len(candidates) < len(DEATHS) + len(DISCHARGES):
        return {}
    chosen = rng.sample(candidates, len(DEATHS) + len(DISCHARGES))
    counts = {"deaths": 0, "discharges": 0}
    with clock.frozen(anchor - timedelta(minutes=1)):
        for i, (patient, (place, wished, present, expected)) in enumerate(
            zip(chosen, DEATHS, strict=False)
        ):
            current = PlacePreference.objects.filter(patient=patient).first()
            place_preference_set(
                actor=actor,
                patient=patient,
                place_of_care="home",
                place_of_death=wished,
                support_plan=current.support_plan if current else "",
                expected_version=current.version if current else None,
            )
            died_at = anchor - timedelta(days=2 + i, hours=rng.randint(2, 20))
            death_record(
                actor=actor,
                patient=patient,
                data=DeathInput(died_at=died_at, place=place, present=present, expected=expected),
            )
            counts["deaths"] += 1
        for i, (patient, (reason, note)) in enumerate(
            zip(chosen[len(DEATHS) :], DISCHARGES, strict=False)
        ):
            episode = EpisodeOfCare.objects.get(patient=patient, status="active")
            episode_discharge(
                actor=actor,
                episode=episode,
                reason=reason,
                on=today - timedelta(days=1 + 2 * i),
                note=note,
            )
            counts["discharges"] += 1
    return counts

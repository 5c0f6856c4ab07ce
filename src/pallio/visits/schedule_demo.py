"""Demo schedule for `make run`: the program's facilities (an inpatient unit, the emergency
department, the cancer center, the clinic), the homes of some patients (a house, a nursing
home, assisted living, a retirement community) with their place on the map and access notes,
and a week of booked visits across every setting, an urgent one each day, booked through the
same service as the pages.

The build runs with the clock frozen at midnight of its first day, so the week starts today.
Rows take their ids from the caller's random generator, and video rooms too: a seed gives the
same schedule for the same day.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pallio.accounts.models import User
from pallio.core import privileges
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.episodes.services import care_team_add
from pallio.visits.cadence_demo import cadence_demo_populate
from pallio.visits.day_plan_demo import day_plan_demo_populate
from pallio.visits.demo import _ids_from
from pallio.visits.models import Place, ScheduledVisit, Setting, VisitKind
from pallio.visits.reminder_demo import reminders_demo_populate
from pallio.visits.services import scheduling

DEMO_VIDEO_URL = "https://video.example.org/join/{room}"
FACILITIES = (
    (Setting.HOSPITAL, "4 West oncology unit"),
    (Setting.EMERGENCY, "Emergency department"),
    (Setting.CANCER_CENTER, "Cancer center, infusion suite"),
    (Setting.CLINIC, "Supportive care clinic"),
)
HOMES = (
    (Setting.HOME, "Home", ""),
    (Setting.NURSING_HOME, "Maple Grove Nursing Home", "Sign in at the front desk; room 214."),
    (Setting.ASSISTED_LIVING, "Riverbend Assisted Living", "Buzz apartment 3C; lift to 3."),
    (Setting.RETIREMENT_COMMUNITY, "Harbor View Retirement Community", "Cottage 12, by the pond."),
)
HOME_NOTES = (
    "Door code 4512. A friendly dog; knock loudly.",
    "Park in the driveway, not on the street. Side door.",
    "Two cats; keep the porch door shut.",
    "Key in the lockbox, code 0831. Daughter at home afternoons.",
)
STREETS = ("Elm Street", "Pine Avenue", "Oak Road", "Cedar Lane", "Birch Way", "Willow Court")
TOWNS = (("Cambridge", "02139"), ("Somerville", "02143"), ("Boston", "02118"))
# The demo's map centre (Boston) for the homes' coordinates.
CENTRE = (Decimal("42.360100"), Decimal("-71.058900"))
# The settings of the week, in turn; the slots of each day (local time, minutes).
ROTATION = (
    Setting.HOME,
    Setting.HOSPITAL,
    Setting.CLINIC,
    Setting.TELEHEALTH,
    Setting.NURSING_HOME,
    Setting.CANCER_CENTER,
    Setting.ASSISTED_LIVING,
    Setting.EMERGENCY,
    Setting.RETIREMENT_COMMUNITY,
)
SLOTS = ((9, 0, 60), (10, 30, 45), (13, 0, 60), (14, 30, 45), (16, 0, 30))
DISCIPLINES = ("physician", "nurse_practitioner", "nurse_navigator", "nurse", "social_worker")
KINDS = (
    VisitKind.FOLLOW_UP,
    VisitKind.SYMPTOM,
    VisitKind.FAMILY_MEETING,
    VisitKind.ADVANCE_CARE_PLANNING,
)


def _clinicians(program: Any) -> list[User]:
    """The first clinician of each visiting discipline (no trainees)."""
    found: dict[str, User] = {}
    for user in User.objects.filter(
        program=program, is_active=True, role="clinician", training_level=""
    ).order_by("username"):
        if user.discipline in DISCIPLINES and user.discipline not in found:
            found[user.discipline] = user
    return [found[d] for d in DISCIPLINES if d in found]


def _booker(program: Any, fallback: User) -> User:
    for user in User.objects.filter(
        program=program, is_active=True, role="intake_coordinator"
    ).order_by("username"):
        if privileges.can(user, "schedule.book"):
            return user
    return fallback


def schedule_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Facilities, homes for `patients` (enrolled) and a week of booked visits from today."""
    clinicians = _clinicians(program)
    episodes = {
        e.patient_id: e
        for e in EpisodeOfCare.objects.filter(
            patient__in=patients, status=EpisodeOfCare.Status.ACTIVE
        )
    }
    patients = [p for p in patients if p.pk in episodes]
    if not clinicians or not patients:
        return {}
    settings = dict(program.settings or {})
    settings.setdefault("video_url_template", DEMO_VIDEO_URL)
    program.settings = settings
    program.save(update_fields=["settings"])
    booker = _booker(program, clinicians[0])
    zone = ZoneInfo(program.timezone)
    counts = {"places": 0, "scheduled_visits": 0}
    with _ids_from(rng, Place, ScheduledVisit, CareTeamMember):
        facilities = {}
        for setting, name in FACILITIES:
            facilities[setting] = scheduling.place_create_facility(
                actor=booker, program=program, setting=setting, name=name
            )
            counts["places"] += 1
        # Each patient visited at home lives in one kind of home, in turn.
        homes: dict[str, list[tuple[Any, Place]]] = {s: [] for s, _, _ in HOMES}
        for n, patient in enumerate(patients[: 3 * len(HOMES)]):
            setting, name, notes = HOMES[n % len(HOMES)]
            town, postal = TOWNS[rng.randrange(len(TOWNS))]
            home = scheduling.place_save_home(
                actor=booker,
                patient=patient,
                setting=setting,
                name=name,
                line=f"{rng.randint(2, 240)} {STREETS[rng.randrange(len(STREETS))]}",
                city=town,
                postal_code=postal,
                latitude=CENTRE[0] + Decimal(rng.randint(-600, 600)) / 10000,
                longitude=CENTRE[1] + Decimal(rng.randint(-900, 300)) / 10000,
                access_notes=notes or HOME_NOTES[rng.randrange(len(HOME_NOTES))],
            )
            homes[setting].append((patient, home))
            counts["places"] += 1
        turn = 0
        for offset in range(7):
            day = today + timedelta(days=offset)
            urgent_slot = rng.randrange(len(SLOTS))
            for s, (hour, minute, length) in enumerate(SLOTS):
                setting = ROTATION[turn % len(ROTATION)]
                clinician = clinicians[turn % len(clinicians)]
                turn += 1
                place = None
                if setting in facilities:
                    place = facilities[setting]
                    patient = patients[rng.randrange(len(patients))]
                elif setting == Setting.TELEHEALTH:
                    patient = patients[rng.randrange(len(patients))]
                else:
                    if not homes[setting]:
                        continue
                    patient, place = homes[setting][rng.randrange(len(homes[setting]))]
                if not CareTeamMember.objects.filter(
                    user=clinician, patient=patient, active=True
                ).exists():
                    care_team_add(actor=None, episode=episodes[patient.pk], user=clinician)
                starts = datetime.combine(day, time(hour, minute), tzinfo=zone)
                visit = scheduling.scheduled_visit_book(
                    actor=booker,
                    patient=patient,
                    clinician=clinician,
                    setting=setting,
                    place=place,
                    room=f"{rng.randint(401, 432)}" if setting == Setting.HOSPITAL else "",
                    kind=KINDS[rng.randrange(len(KINDS))],
                    priority="urgent" if s == urgent_slot else "routine",
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=length),
                )
                if visit.join_url:
                    # The room name from the seed, not the system's randomness (determinism).
                    room = f"pallio-{rng.getrandbits(64):016x}"
                    ScheduledVisit.objects.filter(pk=visit.pk).update(
                        join_url=DEMO_VIDEO_URL.replace("{room}", room)
                        if settings["video_url_template"] == DEMO_VIDEO_URL
                        else visit.join_url
                    )
                counts["scheduled_visits"] += 1
        counts["day_plan_visits"] = day_plan_demo_populate(
            program=program,
            clinicians=clinicians,
            homes=[pair for pairs in homes.values() for pair in pairs],
            booker=booker,
            rng=rng,
            today=today,
        )
    counts.update(
        cadence_demo_populate(
            program=program,
            patients=patients,
            clinicians=clinicians,
            booker=booker,
            rng=rng,
            today=today,
        )
    )
    counts["reminders"] = reminders_demo_populate(program=program, rng=rng, today=today)
    return counts

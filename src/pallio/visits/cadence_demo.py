"""Demo cadences and oncology appointments for `make run`: every patient on the week's
schedule has a weekly cadence for the disciplines booked to see them (due again next week),
a few patients have a cadence that has fallen overdue, and some of those have an infusion at
the demo cancer center this week, so that the same-day visit is suggested on their visits
page and on the list of visits overdue. Written through the same services as the pages, with
ids from the caller's random generator (the same demo for the same seed)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.episodes.services import care_team_add
from pallio.visits.cadence_models import ExternalAppointment, VisitCadence
from pallio.visits.demo import _ids_from
from pallio.visits.models import Place, ScheduledVisit, Setting
from pallio.visits.services import cadence

OVERDUE_PATIENTS = 6
INFUSIONS = 4
# Disciplines tried in turn for a patient's overdue cadence (one with no visit booked).
OVERDUE_DISCIPLINES = ("nurse", "social_worker", "physician", "nurse_navigator")
DESCRIPTIONS = ("Carboplatin and paclitaxel, cycle 3", "Immunotherapy, cycle 5", "FOLFOX, cycle 2")


def cadence_demo_populate(
    *,
    program: Any,
    patients: Sequence[Any],
    clinicians: Sequence[Any],
    booker: Any,
    rng: random.Random,
    today: date,
) -> dict[str, int]:
    zone = ZoneInfo(program.timezone)
    booked = set(
        ScheduledVisit.objects.filter(program=program, patient__in=patients)
        .exclude(status=ScheduledVisit.Status.CANCELLED)
        .values_list("patient_id", "discipline")
    )
    by_discipline = {c.discipline: c for c in clinicians}
    center = Place.objects.filter(
        program=program, setting=Setting.CANCER_CENTER, patient__isnull=True
    ).first()
    counts = {"cadences": 0, "overdue_cadences": 0, "oncology_appointments": 0}
    with _ids_from(rng, VisitCadence, ExternalAppointment, CareTeamMember):
        for patient_id, discipline in sorted(booked, key=str):
            patient = next(p for p in patients if p.pk == patient_id)
            cadence.cadence_set(
                actor=booker, patient=patient, discipline=discipline, frequency="weekly"
            )
            counts["cadences"] += 1
        candidates = [p for p in patients if p.pk not in {pk for pk, _ in booked}]
        candidates += [p for p in patients if p not in candidates]
        for n, patient in enumerate(candidates[:OVERDUE_PATIENTS]):
            free = [d for d in OVERDUE_DISCIPLINES if (patient.pk, d) not in booked]
            if not free:
                continue
            discipline = free[0]
            found = cadence.cadence_set(
                actor=booker,
                patient=patient,
                discipline=discipline,
                frequency="weekly" if n % 2 == 0 else "every_2_weeks",
            )
            # Set a while ago, with no visit since: overdue by a few days.
            days = (7 if n % 2 == 0 else 14) + 2 + rng.randrange(6)
            VisitCadence.objects.filter(pk=found.pk).update(since=today - timedelta(days=days))
            counts["overdue_cadences"] += 1
            clinician = by_discipline.get(discipline)
            episode = EpisodeOfCare.objects.filter(
                patient=patient, status=EpisodeOfCare.Status.ACTIVE
            ).first()
            if (
                clinician is not None
                and episode is not None
                and not CareTeamMember.objects.filter(
                    user=clinician, patient=patient, active=True
                ).exists()
            ):
                care_team_add(actor=None, episode=episode, user=clinician)
            if center is None or n >= INFUSIONS:
                continue
            starts = datetime.combine(today + timedelta(days=1 + n), time(11, 0), tzinfo=zone)
            cadence.appointment_record(
                actor=booker,
                patient=patient,
                kind="infusion",
                place=center,
                starts_at=starts,
                ends_at=starts + timedelta(hours=4),
                description=DESCRIPTIONS[n % len(DESCRIPTIONS)],
            )
            counts["oncology_appointments"] += 1
    return counts

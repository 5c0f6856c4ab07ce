"""Demo hospital stays: emergency visits, admissions, a readmission within 30 days, one
stay reported by the hospital's ADT feed, and an intensive-care stay of a patient whose
recorded wishes said otherwise (which raises a review for the team).

Runs after the advance care planning demo (the wishes it compares with) and before the team
meeting demo (whose agenda lists recent stays). Everything goes through the stay services.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps

from pallio.accounts.models import User
from pallio.core import clock, privileges
from pallio.episodes import stays

FACILITIES = ("Riverside General Hospital", "St Luke's Medical Center", "Mercy Hospital")
REASONS = ("Breathlessness", "Pain crisis", "Fall at home", "Fever", "Vomiting", "Confusion")


def _against_wishes_candidate(patients: Sequence[Any]) -> Any:
    """A patient whose record says no to intensive care and intubation: a comfort-focused or
    selective portable order, or a DNR/DNI or comfort-focused code status."""
    ids = [p.pk for p in patients]
    order_model = apps.get_model("acp", "PortableOrder")
    status_model = apps.get_model("acp", "CodeStatus")
    ordered = set(
        order_model.objects.filter(
            patient_id__in=ids,
            entered_in_error=False,
            superseded_by__isnull=True,
            medical_interventions__in=("comfort", "selective"),
        ).values_list("patient_id", flat=True)
    )
    coded = set(
        status_model.objects.filter(
            patient_id__in=ids, entered_in_error=False, status__in=("dnr_dni", "comfort_focused")
        ).values_list("patient_id", flat=True)
    )
    return next((p for p in patients if p.pk in ordered or p.pk in coded), None)


def stays_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Give some of `patients` hospital stays. Returns counts for the demo's summary line."""
    staff = [
        u
        for u in User.objects.filter(
            program=program, is_active=True, role="clinician", training_level=""
        ).order_by("username")
        if privileges.can(u, "stay.record")
    ]
    if not staff or len(patients) < 4:
        return {}
    zone = ZoneInfo(program.timezone)
    now = clock.now()
    today = min(today, clock.today_in(program.timezone))

    def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(today - timedelta(days=days_ago), time(hour, minute), zone)
        return min(moment, now - timedelta(minutes=30))

    counts = dict.fromkeys(("stays", "readmissions", "icu_reviews"), 0)
    navigator = next((u for u in staff if u.discipline == "nurse_navigator"), staff[0])
    against = _against_wishes_candidate(patients)
    others = [p for p in patients if p != against]
    rng.shuffle(others)

    # A readmission: home after four days, back sixteen days later.
    readmitted = others.pop()
    first = stays.stay_record(
        actor=navigator,
        patient=readmitted,
        kind="inpatient",
        facility=FACILITIES[0],
        unit="4 West",
        admitted_at=at(40, 14, 20),
        reason="Pneumonia",
        informant="Daughter called the team",
        discharged_at=at(36, 11),
        disposition="home_with_services",
    )
    second = stays.stay_record(
        actor=navigator,
        patient=readmitted,
        kind="inpatient",
        facility=FACILITIES[0],
        unit="4 West",
        admitted_at=at(20, 2, 45),
        reason="Breathlessness, pleural effusion",
        informant="Hospital case manager",
        discharged_at=at(16, 15),
        disposition="home_with_services",
    )
    counts["stays"] += 2
    counts["readmissions"] += int(second.is_readmission and not first.is_readmission)

    # Emergency visits and short admissions for a handful of others.
    for patient in others[:6]:
        days = rng.randint(2, 25)
        emergency = rng.random() < 0.5
        stays.stay_record(
            actor=rng.choice(staff),
            patient=patient,
            kind="emergency" if emergency else "observation",
            facility=rng.choice(FACILITIES),
            admitted_at=at(days, rng.randint(7, 21), rng.choice((0, 15, 30, 45))),
            reason=rng.choice(REASONS),
            discharged_at=at(days - (0 if emergency else 1), 23, 30),
            disposition="home",
        )
        counts["stays"] += 1

    # Told by the hospital's ADT feed, still there.
    adt = others[6] if len(others) > 6 else others[-1]
    stays.stay_admit(
        actor=None,
        patient=adt,
        kind="inpatient",
        facility=FACILITIES[1],
        unit="6 North",
        admitted_at=at(1, 19, 10),
        reason="Bowel obstruction",
        source="hl7_adt",
        visit_number=f"V{rng.randint(10_000_000, 99_999_999)}",
    )
    counts["stays"] += 1

    # Intensive care and intubation although the record said otherwise.
    if against is not None:
        stay = stays.stay_admit(
            actor=navigator,
            patient=against,
            kind="inpatient",
            facility=FACILITIES[2],
            unit="Emergency department",
            admitted_at=at(3, 22, 5),
            reason="Sudden breathlessness",
            informant="Son called the 24/7 line from the hospital",
        )
        stay = stays.stay_transfer(
            actor=navigator, stay=stay, unit="Medical ICU", icu=True, at=at(2, 1, 30)
        )
        stay = stays.stay_update(actor=navigator, stay=stay, intubated=True)
        counts["stays"] += 1
        counts["icu_reviews"] += stay.reviews.count()
    return counts

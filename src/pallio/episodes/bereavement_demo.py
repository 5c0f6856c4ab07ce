"""The demo's bereaved families: follow-ups opened for the patients who died in the last
thirteen months, some contacts made, some due or overdue, a few screens and referrals.

Written through the services (audited), as the team would: the physician who recorded the
death opens the follow-up; the social worker and the chaplain, who carry the follow-up, join
the patient's team and record the contacts. A demo with no recent death marks two enrolled
patients dead through ``patient_death_record`` first.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.accounts.models import User
from pallio.core import clock, privileges
from pallio.episodes.bereavement import (
    bereavement_contact_record,
    bereavement_open,
    bereavement_refer,
    bereavement_screen_record,
    risk_screen,
)
from pallio.episodes.models import BereavementContact, BereavementFollowUp
from pallio.episodes.services import care_team_add, patient_death_record
from pallio.patients.models import Patient

BEREAVEMENT_DEMO_FAMILIES = 12
_FAMILY = [
    ("Margaret", "SPS"),
    ("Daniel", "CHILD"),
    ("Rosa", "CHILD"),
    ("Thomas", "SPS"),
    ("Grace", "SIB"),
    ("Samuel", "DOMPART"),
    ("Linh", "CHILD"),
    ("Fatima", "SPS"),
]
_GROUPS = [
    ("support_group", "Riverbend hospice Tuesday evening bereavement group"),
    ("counselling", "Community grief counselling service"),
    ("support_group", "Widowed persons' walking group"),
]


def _staff(program: Any, discipline: str, action: str) -> User | None:
    """The demo's named login of the discipline when there is one (e.g. "socialworker"),
    else the first clinician of it who may perform `action`."""
    named = discipline.replace("_", "")
    users = User.objects.filter(
        program=program, is_active=True, role="clinician", discipline=discipline
    ).order_by("username")
    for user in sorted(users, key=lambda u: not u.username.endswith(named)):
        if privileges.can(user, action):
            return user
    return None


def _recent_deaths(program: Any, since: datetime) -> list[Any]:
    return list(
        Patient.objects.filter(program=program, deceased_at__gte=since, entered_in_error=False)
        .filter(bereavement__isnull=True)
        .order_by("-deceased_at")[:BEREAVEMENT_DEMO_FAMILIES]
    )


def bereavement_demo_populate(*, program: Any, rng: random.Random, today: date) -> dict[str, int]:
    """Open the recent deaths' follow-ups and record a realistic share of their contacts.
    Returns counts for the demo command's summary line."""
    from pallio.acp import services as acp

    physician = _staff(program, "physician", "death.record")
    social_worker = _staff(program, "social_worker", "bereavement.record")
    chaplain = _staff(program, "chaplain", "bereavement.record") or social_worker
    if physician is None or social_worker is None or chaplain is None:
        return {}
    zone = ZoneInfo(program.timezone)
    today = min(today, clock.today_in(program.timezone))
    since = datetime.combine(today - timedelta(days=400), time(0, 0), zone)
    dead = _recent_deaths(program, since)
    if not dead:
        for days_ago, patient in zip(
            (9, 75),
            Patient.objects.filter(
                program=program, deceased_at__isnull=True, entered_in_error=False
            ).order_by("mrn")[:2],
            strict=False,
        ):
            died_at = datetime.combine(today - timedelta(days=days_ago), time(4, 10), zone)
            patient_death_record(actor=physician, patient=patient, died_at=died_at)
        dead = _recent_deaths(program, since)
    counts = dict.fromkeys(("families", "contacts_done", "screens", "referrals"), 0)
    screen_keys = [item.key for item in risk_screen().items]
    for n, patient in enumerate(dead):
        episode = patient.episodes.order_by("-start").first()
        if episode is not None:
            for member in (social_worker, chaplain):
                care_team_add(actor=physician, episode=episode, user=member)
        # One family in eight has no one on record yet: the worklist asks for one.
        if n % 8 != 5 and not patient.healthcare_agents.filter(entered_in_error=False).exists():
            given, relationship = _FAMILY[n % len(_FAMILY)]
            acp.agent_add(
                actor=social_worker,
                patient=patient,
                data=acp.AgentInput(
                    name=f"{given} {patient.family_name}",
                    relationship=relationship,
                    rank=0,
                    phone=f"617-555-{1200 + n:04d}",
                ),
            )
        follow_up = bereavement_open(actor=physician, patient=patient, died_at=patient.deceased_at)
        counts["families"] += 1
        family = list(patient.healthcare_agents.filter(entered_in_error=False))
        if not family:
            continue
        contacts = list(follow_up.contacts.order_by("sequence"))
        # The most recent contact due is left undone in half the families: it shows as due
        # or overdue on the worklist.
        for contact in contacts:
            if contact.due_on > today - timedelta(days=3):
                break
            if contact.due_on >= today - timedelta(days=21) and rng.random() < 0.5:
                break
            done_on = min(today, contact.due_on + timedelta(days=rng.randint(0, 3)))
            outcome = "no_answer" if rng.random() < 0.15 else "reached"
            if n == 3 and contact.sequence == 3:
                outcome = "declined"
            bereavement_contact_record(
                actor=chaplain if contact.sequence % 2 == 0 else social_worker,
                contact=contact,
                caregiver=family[0],
                done_on=done_on,
                kind=contact.planned_kind,
                outcome=outcome,
                notes=_note(outcome, contact.planned_kind),
            )
            counts["contacts_done"] += 1
            follow_up.refresh_from_db(fields=["status"])
            if follow_up.status != BereavementFollowUp.Status.OPEN:
                break
        if follow_up.contacts.filter(status=BereavementContact.Status.DONE).count() >= 2:
            answers = {key: rng.random() < 0.35 for key in screen_keys}
            screened = bereavement_screen_record(
                actor=social_worker, follow_up=follow_up, answers=answers
            )
            counts["screens"] += 1
            if screened.risk_high:
                service, where = _GROUPS[n % len(_GROUPS)]
                bereavement_refer(
                    actor=social_worker,
                    follow_up=follow_up,
                    caregiver=family[0],
                    service=service,
                    referred_to=where,
                    referred_on=today,
                    notes="Offered at the last call; accepted.",
                )
                counts["referrals"] += 1
    return counts


def _note(outcome: str, kind: str) -> str:
    if outcome == "declined":
        return "Thanked the team; asked not to be contacted again."
    if outcome == "no_answer":
        return "No answer; left a message with the program's number."
    if kind == "card":
        return "Card signed by the team and posted."
    return "Talked about the last weeks and how the family is managing."

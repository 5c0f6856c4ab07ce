"""Bereavement follow-up of the family: the planned contacts after a patient's death, what
came of each, a grief risk screen and referrals to counselling or a support group.

The follow-up opens with the death record (``bereavement_open``), its contacts planned from
the program's ``bereavement_schedule`` setting, counted from the day of death in the
program's time zone. Contacts are recorded against a family member (a related person of the
patient, acp.HealthcareAgent), not the patient. The follow-up closes after its last planned
contact, or at once when the family declines further contact.

The grief risk screen is the program's own (episodes/data/bereavement_risk_screen.json), not
a validated instrument: its questions and cut-off are data the program may change.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.episodes.models import (
    BereavementContact,
    BereavementContactKind,
    BereavementFollowUp,
    BereavementOutcome,
    BereavementReferral,
    BereavementService,
)
from pallio.patients.models import Patient
from pallio.programs.models import bereavement_schedule_problems

SCREEN_FILE = Path(__file__).parent / "data" / "bereavement_risk_screen.json"
ADD_FAMILY_TASK = "Add a family contact for the bereavement follow-up"


@dataclass(frozen=True)
class ScreenItem:
    key: str
    text: str


@dataclass(frozen=True)
class RiskScreen:
    title: str
    about: str
    cut_off: int
    high_label: str
    low_label: str
    items: tuple[ScreenItem, ...]


@cache
def risk_screen() -> RiskScreen:
    """The program's own grief risk screen, read from its data file."""
    data = json.loads(SCREEN_FILE.read_text("utf-8"))
    items = tuple(ScreenItem(key=i["key"], text=i["text"]) for i in data["items"])
    if len({i.key for i in items}) != len(items) or not 1 <= data["cut_off"] <= len(items):
        raise ValueError("The bereavement risk screen needs distinct keys and a usable cut-off.")
    return RiskScreen(
        title=data["title"],
        about=data["about"],
        cut_off=int(data["cut_off"]),
        high_label=data["high_label"],
        low_label=data["low_label"],
        items=items,
    )


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or the month's last day when it is shorter
    (31 January + 1 month is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def death_day(program: Any, died_at: datetime) -> date:
    """The day of death in the program's time zone."""
    return died_at.astimezone(ZoneInfo(program.timezone)).date()


def planned_contacts(program: Any, died_at: datetime) -> list[tuple[str, str, date]]:
    """(label, kind, due day) for each contact of the program's schedule."""
    schedule = program.setting("bereavement_schedule")
    problems = bereavement_schedule_problems(schedule)
    if problems:
        raise ValidationError(
            "The program's bereavement schedule cannot be used: " + " ".join(problems)
        )
    start = death_day(program, died_at)
    rows = []
    for entry in schedule:
        if "days" in entry:
            due = start + timedelta(days=entry["days"])
        else:
            due = add_months(start, entry["months"])
        rows.append((entry["label"].strip(), entry["kind"], due))
    return rows


def related_person_model() -> Any:
    """The patient's related persons live in the acp app (HealthcareAgent, served as FHIR
    RelatedPerson); read by name so the two apps do not import each other."""
    return apps.get_model("acp", "HealthcareAgent")


def family_of(patient: Any) -> list[Any]:
    """The patient's recorded family members and other related persons."""
    return list(related_person_model().objects.filter(patient=patient, entered_in_error=False))


@transaction.atomic
def bereavement_open(*, actor: Any, patient: Any, died_at: datetime) -> BereavementFollowUp:
    """Open the family's bereavement follow-up with its planned contacts. Called with the
    death record, by whoever may record a death; a second call changes nothing and returns
    the follow-up already open. With no family member on record, the social worker is asked
    (a task) to add one."""
    privilege_check(actor, "death.record")
    if patient.program_id != actor.program_id:
        raise ValidationError("No such patient.")
    # The patient's row is the lock: two death records at once open one follow-up.
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    existing = BereavementFollowUp.objects.filter(patient=locked).first()
    if existing is not None:
        return existing
    if died_at > clock.now():
        raise ValidationError({"died_at": ["The time of death cannot be in the future."]})
    program = locked.program
    plan = planned_contacts(program, died_at)
    follow_up = BereavementFollowUp.objects.create(
        program=program, patient=locked, died_at=died_at, opened_by=actor
    )
    BereavementContact.objects.bulk_create(
        BereavementContact(
            program=program,
            patient=locked,
            follow_up=follow_up,
            sequence=n,
            label=label,
            planned_kind=kind,
            due_on=due,
        )
        for n, (label, kind, due) in enumerate(plan, start=1)
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="bereavement.open",
        patient=locked,
        target=follow_up,
        detail={"contacts": len(plan)},
    )
    if not family_of(locked):
        task_create(
            actor=actor,
            patient=locked,
            kind=TaskKind.FOLLOW_UP,
            title=ADD_FAMILY_TASK,
            due=clock.today_in(program.timezone),
            discipline="social_worker",
            detail="No family member is recorded for this patient: add one so the "
            "bereavement contacts can be made and recorded.",
        )
    return follow_up


def _today(program: Any) -> date:
    return clock.today_in(program.timezone)


def _family_member(errors: Errors, follow_up: BereavementFollowUp, caregiver: Any) -> None:
    if (
        not isinstance(caregiver, related_person_model())
        or caregiver.patient_id != follow_up.patient_id
        or caregiver.entered_in_error
    ):
        errors.setdefault("caregiver", []).append("Choose a family member of this patient.")


def _contact_day(errors: Errors, follow_up: BereavementFollowUp, day: Any, name: str) -> None:
    if not isinstance(day, date):
        errors.setdefault(name, []).append("Enter the date.")
        return
    if day > _today(follow_up.program):
        errors.setdefault(name, []).append("The date cannot be in the future.")
    elif day < death_day(follow_up.program, follow_up.died_at):
        errors.setdefault(name, []).append("The date cannot be before the death.")


@transaction.atomic
def bereavement_contact_record(
    *,
    actor: Any,
    contact: BereavementContact,
    caregiver: Any,
    done_on: date,
    kind: str,
    outcome: str,
    notes: str = "",
) -> BereavementContact:
    """Record a planned contact as made: with whom, when, how and what came of it. A family
    that declines closes the follow-up and the later contacts are not needed; recording the
    last planned contact closes it too."""
    privilege_check(actor, "bereavement.record")
    follow_up = BereavementFollowUp.objects.select_for_update().get(pk=contact.follow_up_id)
    locked = BereavementContact.objects.select_for_update().get(pk=contact.pk)
    if follow_up.status != BereavementFollowUp.Status.OPEN:
        raise ValidationError("This family's bereavement follow-up is closed.")
    if locked.status != BereavementContact.Status.DUE:
        raise ValidationError("This contact has already been recorded.")
    errors: Errors = {}
    _family_member(errors, follow_up, caregiver)
    _contact_day(errors, follow_up, done_on, "done_on")
    check_choice(errors, "kind", kind, BereavementContactKind.values)
    check_choice(errors, "outcome", outcome, BereavementOutcome.values)
    check_text(errors, "notes", notes, 2000)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    locked.status = BereavementContact.Status.DONE
    locked.kind, locked.outcome, locked.notes = kind, outcome, notes.strip()
    locked.done_on, locked.done_by, locked.caregiver = done_on, actor, caregiver
    locked.updated_at = now
    locked.save()
    remaining = follow_up.contacts.filter(status=BereavementContact.Status.DUE)
    closing = None
    if outcome == BereavementOutcome.DECLINED:
        closing = BereavementFollowUp.Status.DECLINED
        for later in remaining:
            later.status = BereavementContact.Status.CANCELLED
            later.updated_at = now
            later.save(update_fields=["status", "updated_at"])
    elif not remaining.exists():
        closing = BereavementFollowUp.Status.CLOSED
    if closing is not None:
        follow_up.status, follow_up.closed_at, follow_up.updated_at = closing, now, now
        follow_up.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="bereavement.contact",
        patient=follow_up.patient,
        target=locked,
        detail={"kind": kind, "outcome": outcome, "closed": closing or ""},
    )
    contact.refresh_from_db()
    return locked


@transaction.atomic
def bereavement_screen_record(
    *, actor: Any, follow_up: BereavementFollowUp, answers: dict[str, bool]
) -> BereavementFollowUp:
    """Record the program's own grief risk screen: one point per 'yes', higher risk at the
    screen's cut-off or above. The earlier screen stays in the follow-up's history."""
    privilege_check(actor, "bereavement.screen")
    screen = risk_screen()
    keys = {item.key for item in screen.items}
    if set(answers) - keys or not all(isinstance(v, bool) for v in answers.values()):
        raise ValidationError("Answer only the questions of the screen.")
    locked = BereavementFollowUp.objects.select_for_update().get(pk=follow_up.pk)
    complete = {key: bool(answers.get(key, False)) for key in sorted(keys)}
    score = sum(complete.values())
    locked.risk_answers = complete
    locked.risk_score = score
    locked.risk_high = score >= screen.cut_off
    locked.screened_at = locked.updated_at = clock.now()
    locked.screened_by = actor
    locked.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="bereavement.screen",
        patient=locked.patient,
        target=locked,
        detail={"score": score, "higher_risk": locked.risk_high},
    )
    return locked


@transaction.atomic
def bereavement_refer(
    *,
    actor: Any,
    follow_up: BereavementFollowUp,
    caregiver: Any,
    service: str,
    referred_to: str,
    referred_on: date,
    notes: str = "",
) -> BereavementReferral:
    """Refer a family member to bereavement counselling or a support group, saying where."""
    privilege_check(actor, "bereavement.refer")
    errors: Errors = {}
    _family_member(errors, follow_up, caregiver)
    check_choice(errors, "service", service, BereavementService.values)
    check_text(errors, "referred_to", referred_to, 200, required=True)
    check_text(errors, "notes", notes, 2000)
    _contact_day(errors, follow_up, referred_on, "referred_on")
    if errors:
        raise ValidationError(errors)
    referral = BereavementReferral.objects.create(
        program_id=follow_up.program_id,
        patient_id=follow_up.patient_id,
        follow_up=follow_up,
        caregiver=caregiver,
        service=service,
        referred_to=referred_to.strip(),
        referred_on=referred_on,
        referred_by=actor,
        notes=notes.strip(),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="bereavement.refer",
        patient=follow_up.patient,
        target=referral,
        detail={"service": service},
    )
    return referral

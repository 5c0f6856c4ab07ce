"""Writes of the 24/7 line: a call taken, its triage, the callback, the disposition, a death
reported by phone, and a program's own version of a triage protocol.

Every service checks the clinical privilege first (call.record, call.dispose,
death.record), reaches the patient only through the access rule, refuses bad input with a
ValidationError naming each problem (nothing written), and audits in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.models import versioned_save
from pallio.core.phones import InvalidPhone, phone_to_e164
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.support import protocols
from pallio.support.models import (
    Call,
    CallerKind,
    CallReason,
    DeathReport,
    Disposition,
    TriageProtocol,
)

# A clock a minute fast on the phone that typed the time is not "the future".
CLOCK_SKEW = timedelta(minutes=2)
DEATH_NEEDS = {
    "pronouncement": "A pronouncement visit",
    "funeral_home": "Calling the funeral home",
    "hospice": "Telling the hospice",
}
# Who answered the ESAS items, from who called (the nurse may say otherwise).
RESPONDENT_OF_CALLER: dict[str, str] = {
    CallerKind.PATIENT: "patient",
    CallerKind.CAREGIVER: "caregiver",
    CallerKind.FACILITY: "professional_caregiver",
    CallerKind.OTHER: "caregiver",
}


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _check_time(errors: Errors, name: str, value: Any, *, now: datetime, label: str) -> None:
    if value is None:
        errors.setdefault(name, []).append(f"Give the {label}.")
    elif value.tzinfo is None:
        errors.setdefault(name, []).append(f"Give the {label} with its time zone.")
    elif value > now + CLOCK_SKEW:
        errors.setdefault(name, []).append(f"The {label} cannot be in the future.")


def _patient_for(actor: Any, patient_id: Any) -> Any:
    """The patient the actor may reach, or None (unknown and not yours alike)."""
    from pallio.patients.models import Patient

    try:
        pid = patient_id if isinstance(patient_id, uuid.UUID) else uuid.UUID(str(patient_id))
    except (ValueError, TypeError, AttributeError):
        return None
    return (
        access.visible_patients(actor, Patient.objects.select_related("program"))
        .filter(pk=pid, entered_in_error=False)
        .first()
    )


def _assert_reaches(actor: Any, call: Call) -> None:
    """A call of another program, or about a patient the actor may not reach, is refused as
    if it did not exist (the views and the API never hand such a call over)."""
    if call.program_id != getattr(actor, "program_id", None):
        raise PermissionDenied("No such call.")
    if call.patient_id is not None and not access.can_access_patient(actor, call.patient):
        raise PermissionDenied("No such call.")


def _save(call: Call, expected_version: int | None, fields: list[str]) -> None:
    versioned_save(call, expected_version, fields)


# --- taking a call -----------------------------------------------------------------------------


@dataclass
class CallInput:
    caller_kind: str
    callback_number: str
    received_at: datetime | None
    reason: str
    patient_id: Any = None
    caller_name: str = ""
    story: str = ""


@transaction.atomic
def call_record(*, actor: Any, data: CallInput) -> Call:
    """Take a call: who called, the callback number, when, why, the story, and the patient
    (required unless the call is only for information)."""
    privilege_check(actor, "call.record")
    errors: Errors = {}
    now = clock.now()
    check_choice(errors, "caller_kind", data.caller_kind, CallerKind.values)
    check_choice(errors, "reason", data.reason, CallReason.values)
    check_text(errors, "caller_name", data.caller_name, 200)
    check_text(errors, "story", data.story, 4000)
    number = ""
    if not (data.callback_number or "").strip():
        errors.setdefault("callback_number", []).append(
            "Give a number to call back: the line must be able to reach the caller."
        )
    else:
        try:
            number = phone_to_e164(data.callback_number)
        except InvalidPhone:
            errors.setdefault("callback_number", []).append(
                "This is not a phone number. Give the number with its area code."
            )
    _check_time(errors, "received_at", data.received_at, now=now, label="time the call came in")
    patient = None
    if data.patient_id not in (None, ""):
        patient = _patient_for(actor, data.patient_id)
        if patient is None:
            errors.setdefault("patient", []).append(
                "No patient of this program matches. Search again by name, date of birth or phone."
            )
    elif data.reason != CallReason.INFORMATION:
        errors.setdefault("patient", []).append(
            "Choose the patient the call is about (search by name, date of birth or phone)."
        )
    if (
        patient is not None
        and data.received_at is not None
        and data.received_at.tzinfo
        and data.received_at.date() < patient.birth_date
    ):
        errors.setdefault("received_at", []).append("The time is before the patient's birth.")
    _raise(errors)
    assert data.received_at is not None
    call = Call.objects.create(
        program_id=actor.program_id,
        patient=patient,
        caller_kind=data.caller_kind,
        caller_name=data.caller_name.strip(),
        callback_number=number,
        received_at=data.received_at,
        reason=data.reason,
        story=data.story.strip(),
        taken_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="call.record",
        patient=patient,
        target=call,
        program=actor.program,
        detail={"reason": call.reason, "caller_kind": call.caller_kind},
    )
    return call


# --- triage ---------------------------------------------------------------------------------


@dataclass
class TriageInput:
    protocol_key: str
    answers: dict[str, str] = field(default_factory=dict)
    red_flags: list[str] = field(default_factory=list)
    esas: dict[str, int | None] = field(default_factory=dict)
    respondent: str = ""


@transaction.atomic
def call_triage_record(
    *, actor: Any, call: Call, expected_version: int | None, data: TriageInput
) -> Call:
    """Answer a protocol's questions during the call. A red flag hit marks the call; ESAS
    items asked become a symptom report (channel "call") that goes through the alert rules."""
    privilege_check(actor, "call.record")
    _assert_reaches(actor, call)
    errors: Errors = {}
    protocol = protocols.get(actor.program, data.protocol_key)
    if protocol is None:
        raise ValidationError({"protocol_key": ["Choose one of the program's protocols."]})
    if call.status == Call.Status.CLOSED:
        raise ValidationError("This call is closed: its triage can no longer change.")
    answers: dict[str, str] = {}
    known = {q.id: q for q in protocol.questions}
    for qid, value in data.answers.items():
        if qid not in known:
            errors.setdefault("answers", []).append("An answer names a question not asked.")
            continue
        text = str(value or "").strip()
        check_text(errors, f"q_{qid}", text, 500)
        if known[qid].kind == "yes_no" and text not in ("", "yes", "no", "unsure"):
            errors.setdefault(f"q_{qid}", []).append("Answer yes, no or not sure.")
        if text:
            answers[qid] = text
    flags = []
    for flag_id in data.red_flags:
        if protocol.flag(flag_id) is None:
            errors.setdefault("red_flags", []).append("A red flag named is not in this protocol.")
        elif flag_id not in flags:
            flags.append(flag_id)
    scores: dict[str, int] = {}
    for item, score in data.esas.items():
        if item not in protocol.esas_items:
            errors.setdefault("esas", []).append(
                "A score names an item this protocol does not ask."
            )
        elif score is not None:
            if not isinstance(score, int) or not 0 <= score <= 10:
                errors.setdefault(f"esas_{item}", []).append("A score is a whole number 0 to 10.")
            else:
                scores[item] = score
    respondent = data.respondent or RESPONDENT_OF_CALLER.get(call.caller_kind, "caregiver")
    if scores and call.patient_id is None:
        errors.setdefault("esas", []).append("Symptom scores need the patient the call is about.")
    _raise(errors)
    report = call.symptom_report
    if scores and report is None:
        from pallio.assessments.services import ReportInput, report_submit

        report, _ = report_submit(
            actor=actor,
            patient=call.patient,
            data=ReportInput(
                instrument_key="esas-r",
                answers=scores,
                respondent=respondent,
                channel="call",
                answered_at=clock.now(),
                respondent_name=call.caller_name,
            ),
        )
    call.protocol_key = protocol.key
    call.triage = {
        "protocol_title": protocol.title,
        "answers": answers,
        "red_flags": flags,
        "recommends": sorted({protocol.flag(f).recommends for f in flags}),  # type: ignore[union-attr]
        "esas": scores,
    }
    call.red_flag = bool(flags)
    call.symptom_report = report
    _save(call, expected_version, ["protocol_key", "triage", "red_flag", "symptom_report"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="call.triage",
        patient=call.patient,
        target=call,
        program=actor.program,
        detail={"protocol": protocol.key, "red_flags": flags},
    )
    return call


# --- callback and disposition --------------------------------------------------------------


@transaction.atomic
def call_callback_record(
    *, actor: Any, call: Call, expected_version: int | None, called_back_at: datetime | None
) -> Call:
    """The caller was called back (time to callback runs from the call coming in)."""
    privilege_check(actor, "call.record")
    _assert_reaches(actor, call)
    errors: Errors = {}
    when = called_back_at or clock.now()
    _check_time(errors, "called_back_at", when, now=clock.now(), label="callback time")
    if when.tzinfo is not None and when < call.received_at:
        errors.setdefault("called_back_at", []).append(
            "The callback cannot be before the call came in."
        )
    if call.called_back_at is not None:
        errors.setdefault("called_back_at", []).append("The callback is already recorded.")
    _raise(errors)
    call.called_back_at = when
    _save(call, expected_version, ["called_back_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="call.callback",
        patient=call.patient,
        target=call,
        program=actor.program,
    )
    return call


def allowed_dispositions(program: Any, call: Call) -> list[tuple[str, str]]:
    """Those the call's protocol allows, or any when no protocol was followed."""
    protocol = protocols.get(program, call.protocol_key) if call.protocol_key else None
    return protocol.disposition_choices() if protocol else list(Disposition.choices)


@transaction.atomic
def call_dispose(
    *,
    actor: Any,
    call: Call,
    expected_version: int | None,
    disposition: str,
    disposition_at: datetime | None,
    note: str = "",
) -> Call:
    """What was decided, and when; the call closes."""
    privilege_check(actor, "call.dispose")
    _assert_reaches(actor, call)
    errors: Errors = {}
    if call.status == Call.Status.CLOSED:
        raise ValidationError("This call already has its disposition.")
    allowed = dict(allowed_dispositions(actor.program, call))
    if disposition not in allowed:
        errors.setdefault("disposition", []).append(
            "Choose one of the dispositions this protocol allows."
        )
    check_text(errors, "note", note, 2000)
    when = disposition_at or clock.now()
    _check_time(errors, "disposition_at", when, now=clock.now(), label="disposition time")
    if when.tzinfo is not None and when < call.received_at:
        received = call.received_at.astimezone(ZoneInfo(call.program.timezone))
        errors.setdefault("disposition_at", []).append(
            f"The disposition cannot be before the call came in ({received:%b %-d, %H:%M})."
        )
    _raise(errors)
    call.disposition = disposition
    call.disposition_at = when
    call.disposition_note = note.strip()
    call.status = Call.Status.CLOSED
    if call.called_back_at is None:
        # Deciding the disposition with the caller is itself the call back.
        call.called_back_at = when
    _save(
        call,
        expected_version,
        ["disposition", "disposition_at", "disposition_note", "status", "called_back_at"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="call.dispose",
        patient=call.patient,
        target=call,
        program=actor.program,
        detail={"disposition": disposition},
    )
    return call


# --- an expected death reported by phone ---------------------------------------------------


@dataclass
class DeathInput:
    died_at: datetime | None
    place: str
    present: str = ""
    needs: list[str] = field(default_factory=list)
    funeral_home: str = ""


@transaction.atomic
def death_report_record(*, actor: Any, call: Call, data: DeathInput) -> DeathReport:
    """Record a death reported on the call: when and where, who was there, what the family
    needs tonight. The patient's death record follows from it (episodes/death.py: the patient
    marked deceased, open work closed, the enrollment discharged, the referrer told), and the
    team is told (a task for the team lead)."""
    privilege_check(actor, "death.record")
    _assert_reaches(actor, call)
    from pallio.careplans.models import TaskKind
    from pallio.careplans.services import task_create
    from pallio.episodes.death import death_record_from_report
    from pallio.episodes.models import CareTeamMember

    errors: Errors = {}
    if call.patient_id is None:
        raise ValidationError({"patient": ["A death report needs the patient the call is about."]})
    if DeathReport.objects.filter(call=call).exists():
        raise ValidationError("This call already has its death report.")
    _check_time(errors, "died_at", data.died_at, now=clock.now(), label="time of death")
    if data.died_at is not None and data.died_at.tzinfo and data.died_at > call.received_at:
        errors.setdefault("died_at", []).append(
            "The time of death cannot be after the call reporting it."
        )
    check_choice(errors, "place", data.place, DeathReport.Place.values)
    check_text(errors, "present", data.present, 300)
    check_text(errors, "funeral_home", data.funeral_home, 200)
    needs = [n for n in dict.fromkeys(data.needs)]
    if any(n not in DEATH_NEEDS for n in needs):
        errors.setdefault("needs", []).append("Choose among the needs listed.")
    _raise(errors)
    assert data.died_at is not None
    patient: Any = call.patient
    report = DeathReport.objects.create(
        call=call,
        patient=patient,
        died_at=data.died_at,
        place=data.place,
        present=data.present.strip(),
        needs=needs,
        funeral_home=data.funeral_home.strip(),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="death.record",
        patient=patient,
        target=report,
        program=actor.program,
        detail={"place": data.place, "needs": needs},
    )
    death_record_from_report(actor=actor, report=report)
    team = list(
        CareTeamMember.objects.filter(patient=patient, active=True)
        .select_related("user", "episode")
        .order_by("-is_lead", "created_at")
    )
    lead = team[0] if team else None
    today = clock.today_in(call.program.timezone)
    place = report.get_place_display().lower()
    wanted = ", ".join(DEATH_NEEDS[n].lower() for n in needs) or "nothing tonight"
    task_create(
        actor=actor,
        patient=patient,
        episode=lead.episode if lead else None,
        kind=TaskKind.FOLLOW_UP,
        title=f"Death reported overnight: {patient.full_name}",
        detail=(
            f"{patient.full_name} died at {place}; reported on the 24/7 line by "
            f"{call.caller_name or call.get_caller_kind_display().lower()}. "
            f"The family asked for: {wanted}."
        ),
        due=today,
        assigned_to=lead.user if lead else None,
    )
    return report


# --- a program's own triage protocols --------------------------------------------------------


@transaction.atomic
def triage_protocol_save(*, actor: Any, key: str, raw: bytes) -> TriageProtocol:
    """Save the program's own version of a shipped protocol (the medical director's), after
    validating it: a bad file is refused with every problem named, and nothing changes."""
    if not access.has_perm(actor, "support.protocols"):
        raise PermissionDenied("Only the medical director may change the program's protocols.")
    if key not in protocols.shipped():
        raise ValidationError({"key": ["No such protocol."]})
    try:
        _, content = protocols.parse_bytes(raw, key=key)
    except protocols.ProtocolError as exc:
        raise ValidationError({"content": exc.problems}) from None
    row = TriageProtocol.objects.filter(program_id=actor.program_id, key=key).first()
    if row is None:
        row = TriageProtocol.objects.create(
            program_id=actor.program_id, key=key, content=content, updated_by=actor
        )
        what = Action.CREATE
    else:
        row.content = content
        row.updated_by = actor
        row.save(update_fields=["content", "updated_by", "updated_at"])
        what = Action.UPDATE
    audit_record(
        actor=actor,
        action=what,
        event="triage_protocol.save",
        target=row,
        program=actor.program,
        detail={"key": key},
    )
    return row

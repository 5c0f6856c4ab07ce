"""Receiving ADT messages, and the coordinator's review of those that could not be applied.

`adt_receive` is what the MLLP listener calls for each message: it stores the message,
matches the patient and applies the event through the hospital-stay services, all in one
transaction, and returns the acknowledgement to send back. A message with a control id
already received from the same sender is stored as a duplicate and acknowledged as the
first one was, never applied twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check
from pallio.programs.models import Program

from . import acks
from .apply import AdtApplyError, event_apply
from .hl7v2 import AdtEvent, AdtParseError, clean_text, parse_adt, parse_message, read_header
from .matching import adt_patient_match
from .models import MAX_MESSAGE_BYTES, AdtMessage, AdtStatus

# Program setting: the point-of-care codes (PV1-3.1) of the hospitals' intensive care units.
ICU_UNITS_SETTING = "adt_icu_units"


@dataclass
class Receipt:
    ack: str
    message: AdtMessage


def icu_units(program: Program) -> list[str]:
    value = program.setting(ICU_UNITS_SETTING)
    if not isinstance(value, list):
        return []
    return [str(code) for code in value if isinstance(code, str)]


def icu_units_problems(value: Any) -> list[str]:
    """What is wrong with a value for the `adt_icu_units` program setting."""
    if not isinstance(value, list):
        return ['adt_icu_units: give a list of unit codes, e.g. ["ICU", "MICU"].']
    problems = []
    if len(value) > 100:
        problems.append("adt_icu_units: at most 100 unit codes.")
    for code in value:
        if not isinstance(code, str) or not re.fullmatch(r"[\w\- ]{1,40}", code):
            problems.append(f"adt_icu_units: {str(code)[:40]!r} is not a unit code.")
    return problems


def parse_for(program: Program, raw: str) -> AdtEvent:
    return parse_adt(
        raw,
        tz_name=program.timezone,
        icu_units=icu_units(program),
        today=clock.today_in(program.timezone),
    )


def _guess_control_id(text: str) -> str:
    """MSH-10 of a message too broken to parse, for the acknowledgement."""
    first = text.split("\r", 1)[0]
    if first.startswith("MSH") and len(first) > 4:
        fields = first.split(first[3])
        if len(fields) > 9 and re.fullmatch(r"[\x21-\x7e]{1,64}", fields[9]):
            return fields[9]
    return ""


def _ack_control_id(message: AdtMessage) -> str:
    return f"P{message.pk.hex[:19]}"


def _person_name(event: AdtEvent) -> str:
    return " ".join(p for p in (event.given_name, event.middle_name, event.family_name) if p)


def _refusal(program: Program, text: str, received_at: Any, error: AdtParseError) -> Receipt:
    control_id = _guess_control_id(text)
    stored = AdtMessage.objects.create(
        program=program,
        received_at=received_at,
        control_id="",
        raw=text,
        status=AdtStatus.ERROR,
        error=error.message,
        trigger=_guessed_trigger(text),
    )
    audit_record(
        actor=None,
        action=Action.CREATE,
        event="adt.receive",
        program=program,
        target=stored,
        detail={"status": stored.status},
    )
    ack = acks.build_ack(
        code="AE",
        control_id=control_id,
        text=error.message,
        error_code=error.code,
        location=error.location,
        ack_control_id=_ack_control_id(stored),
    )
    return Receipt(ack, stored)


def _guessed_trigger(text: str) -> str:
    match = re.search(r"\|ADT\^(A\d\d)", text.split("\r", 1)[0])
    return match.group(1) if match else ""


def _repeat(
    program: Program, first: AdtMessage, text: str, received_at: Any, hl7msg: Any
) -> Receipt:
    stored = AdtMessage.objects.create(
        program=program,
        received_at=received_at,
        control_id=first.control_id,
        sender=first.sender,
        trigger=first.trigger,
        raw=text,
        status=AdtStatus.DUPLICATE,
        duplicate_of=first,
        patient=first.patient,
        person_name=first.person_name,
        person_birth_date=first.person_birth_date,
        outcome="Already received: not applied again.",
    )
    audit_record(
        actor=None,
        action=Action.CREATE,
        event="adt.receive",
        program=program,
        target=stored,
        patient=first.patient,
        detail={"status": stored.status},
    )
    failed = first.status == AdtStatus.ERROR
    ack = acks.build_ack(
        code="AE" if failed else "AA",
        control_id=first.control_id,
        text=first.error if failed else "Already received; not applied again.",
        message=hl7msg,
        ack_control_id=_ack_control_id(stored),
    )
    return Receipt(ack, stored)


def adt_receive(*, program: Program, raw: bytes | str) -> Receipt:
    """Store, match and apply one ADT message; the acknowledgement to send back."""
    received_at = clock.now()
    text = clean_text(raw)
    if len(text.encode("utf-8", errors="replace")) > MAX_MESSAGE_BYTES:
        with transaction.atomic():
            return _refusal(
                program,
                text[:2000],
                received_at,
                AdtParseError(
                    f"The message is larger than {MAX_MESSAGE_BYTES // 1024} KB.", location="MSH"
                ),
            )
    text = text.replace("\x00", " ")
    try:
        hl7msg = parse_message(text)
        header = read_header(hl7msg)
    except AdtParseError as error:
        with transaction.atomic():
            return _refusal(program, text, received_at, error)
    sender = f"{header.sending_application}^{header.sending_facility}"
    with transaction.atomic():
        first = (
            AdtMessage.objects.filter(program=program, sender=sender, control_id=header.control_id)
            .exclude(status=AdtStatus.DUPLICATE)
            .first()
        )
        if first is not None:
            return _repeat(program, first, text, received_at, hl7msg)
        stored = AdtMessage(
            program=program,
            received_at=received_at,
            control_id=header.control_id,
            sender=sender,
            trigger=header.trigger[:24],
            raw=text,
            status=AdtStatus.ERROR,
        )
        try:
            with transaction.atomic():
                stored.save(force_insert=True)
        except IntegrityError:
            # The same message arrived at the same moment on another connection.
            first = (
                AdtMessage.objects.filter(
                    program=program, sender=sender, control_id=header.control_id
                )
                .exclude(status=AdtStatus.DUPLICATE)
                .first()
            )
            if first is None:
                raise
            return _repeat(program, first, text, received_at, hl7msg)
        return _process(program, stored, text, hl7msg)


def _process(program: Program, stored: AdtMessage, text: str, hl7msg: Any) -> Receipt:
    def answer(
        code: str, note: str, error: AdtParseError | None = None, error_code: str = ""
    ) -> Receipt:
        ack = acks.build_ack(
            code=code,
            control_id=stored.control_id,
            text=note,
            error_code=error.code if error else error_code,
            location=error.location if error else "",
            message=hl7msg,
            ack_control_id=_ack_control_id(stored),
        )
        stored.save()
        audit_record(
            actor=None,
            action=Action.CREATE,
            event="adt.receive",
            program=program,
            patient=stored.patient,
            target=stored,
            detail={"status": stored.status},
        )
        return Receipt(ack, stored)

    try:
        event = parse_for(program, text)
    except AdtParseError as error:
        stored.error = error.message
        return answer("AE", error.message, error)
    stored.person_name = _person_name(event)[:210]
    stored.person_birth_date = event.birth_date
    found = adt_patient_match(program_id=program.pk, event=event)
    if found.patient is None:
        stored.status = AdtStatus.UNMATCHED
        stored.error = f"Held for review: {found.reason}."
        return answer("AA", "Held for review: no certain patient match.")
    stored.patient = found.patient
    try:
        with transaction.atomic():
            stored.outcome = event_apply(actor=None, patient=found.patient, event=event)
    except AdtApplyError as error:
        stored.error = str(error)
        return answer("AE", str(error), error_code=acks.ERR_UNKNOWN_KEY)
    stored.status = AdtStatus.APPLIED
    return answer("AA", "")


def _open_for_review(message: AdtMessage, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != message.version:
        raise ConflictError("Someone else has dealt with this message since you opened it.")
    if not message.is_open:
        raise ValidationError(
            f"This message is {message.get_status_display().lower()}: there is nothing to do."
        )


@transaction.atomic
def adt_message_apply(
    *, actor: Any, message: AdtMessage, patient: Any, expected_version: int | None = None
) -> AdtMessage:
    """A coordinator's match: apply the held message to `patient` (never creates one)."""
    privilege_check(actor, "adt_message.resolve")
    message = AdtMessage.objects.select_for_update().get(pk=message.pk)
    _open_for_review(message, expected_version)
    if patient is None or patient.program_id != message.program_id or patient.entered_in_error:
        raise ValidationError("Choose a patient of this program.")
    try:
        event = parse_for(message.program, message.raw)
    except AdtParseError as error:
        raise ValidationError(
            f"This message cannot be applied: {error.message} Dismiss it and ask the hospital "
            "to send it again."
        ) from None
    try:
        with transaction.atomic():
            outcome = event_apply(actor=actor, patient=patient, event=event)
    except AdtApplyError as error:
        raise ValidationError(f"This message cannot be applied to {patient}: {error}") from None
    message.status = AdtStatus.APPLIED
    message.patient = patient
    message.outcome = outcome
    message.resolved_by = actor
    message.resolved_at = clock.now()
    message.save_versioned(
        expected_version=message.version,
        fields=["status", "patient", "outcome", "resolved_by", "resolved_at"],
    )
    audit_record(
        actor=actor, action=Action.UPDATE, event="adt.apply", patient=patient, target=message
    )
    return message


@transaction.atomic
def adt_message_dismiss(
    *, actor: Any, message: AdtMessage, reason: str, expected_version: int | None = None
) -> AdtMessage:
    """Close a held message without applying it, saying why."""
    privilege_check(actor, "adt_message.resolve")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Say why the message is dismissed.")
    if len(reason) > 1000:
        raise ValidationError("Keep the reason under 1,000 characters.")
    message = AdtMessage.objects.select_for_update().get(pk=message.pk)
    _open_for_review(message, expected_version)
    message.status = AdtStatus.DISMISSED
    message.dismiss_reason = reason
    message.resolved_by = actor
    message.resolved_at = clock.now()
    message.save_versioned(
        expected_version=message.version,
        fields=["status", "dismiss_reason", "resolved_by", "resolved_at"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="adt.dismiss",
        program=message.program,
        patient=message.patient,
        target=message,
    )
    return message

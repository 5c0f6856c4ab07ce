"""Calls, shifts and a recording text-message backend for the tests of escalation, the
hand-off and the measures. Calls and shifts are made directly with the models: their own
services belong to the call-entry and roster work."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from pallio.support.models import Call, CallerKind, CallReason, Line, Shift

# A night in Riverside (America/New_York, UTC-5 in November): 02:00 local is 07:00 UTC.
NIGHT = datetime.fromisoformat("2026-11-24T07:00:00+00:00")


class RecordingSms:
    """A text-message backend that keeps what it was given (PALLIO_SMS_BACKEND in tests)."""

    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, to_user: Any, body: str) -> None:
        RecordingSms.sent.append((to_user.username, body))


class BrokenSms:
    """A text-message backend whose gateway does not answer."""

    def send(self, *, to_user: Any, body: str) -> None:
        raise ConnectionRefusedError("gateway down")


def make_call(
    world: Any,
    *,
    received_at: datetime = NIGHT,
    patient: Any = "alice",
    reason: str = CallReason.SYMPTOM,
    red_flag: bool = False,
    called_back_at: datetime | None = None,
    disposition: str = "",
    disposition_at: datetime | None = None,
    taken_by: Any = None,
    status: str = Call.Status.OPEN,
    story: str = "",
) -> Call:
    if patient == "alice":
        patient = world.alice
    return Call.objects.create(
        program=world.riverside,
        patient=patient,
        caller_kind=CallerKind.CAREGIVER,
        caller_name="Ann Anders",
        callback_number="+16175550111",
        received_at=received_at,
        reason=reason,
        story=story,
        taken_by=taken_by or world.oncall,
        red_flag=red_flag,
        called_back_at=called_back_at,
        disposition=disposition,
        disposition_at=disposition_at
        or (received_at + timedelta(minutes=20) if disposition else None),
        status=status,
    )


def make_shift(
    world: Any, line: str, user: Any, starts: datetime, hours: int = 12, program: Any = None
) -> Shift:
    return Shift.objects.create(
        program=program or world.riverside,
        line=line,
        user=user,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
    )


def night_roster(world: Any, starts: datetime = NIGHT - timedelta(hours=7)) -> None:
    """The night of NIGHT: the on-call nurse practitioner first, the physician second, the
    medical director as backup."""
    make_shift(world, Line.FIRST, world.oncall, starts)
    make_shift(world, Line.SECOND, world.physician, starts)
    make_shift(world, Line.BACKUP, world.director, starts)


def riverside_escalated_call(world: Any) -> Call:
    """A call about alice, escalated to the second line and not acknowledged (the URL walks'
    sample `call_id`)."""
    from pallio.support.models import CallEscalation

    call = make_call(world, received_at=NIGHT)
    CallEscalation.objects.create(
        call=call, step=CallEscalation.Step.SECOND_LINE, why="no_callback", sent_to=world.physician
    )
    return call

"""Escalation of calls to the 24/7 line nobody called back (issue 13, requirement 5).

A call not called back within the program's ``support_callback_minutes``, or whose triage
hit a red flag, pages the second line on shift (the on-call physician); ``support_backup_
minutes`` after that page, a call still not acknowledged (and, unless it carries a red flag,
still not called back) pages the backup. With nobody on shift for the line, the page goes to
the program's medical director and the escalation says nobody was on shift. A red flag needs
the physician whatever the callback, so only an acknowledgement stops its escalation.

The background worker escalates (support/tasks.py, queued each minute by `pallio support
sweep`). Each step is one CallEscalation row, unique per (call, step), written in the
transaction that holds the call's row lock: two sweeps at once, or a sweep repeated after a
worker died, write each step exactly once. The page itself is sent in a second transaction
that holds the step's row lock and marks it sent, so a page a dead worker never sent is sent
by the next sweep, and a sent one is never sent again. (A worker killed in the instant
between the mail server taking a page and the commit sends that page again on the next
sweep; the page carries the same Message-ID both times, so a reader sees a repeat.)

An escalated call stands out on the on-call screen (``support/_escalations.html``) until
someone acknowledges it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from pallio.accounts.models import Role, User
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check
from pallio.support.models import Call, CallEscalation, Line
from pallio.support.paging import page_send
from pallio.support.selectors import on_call_now

log = logging.getLogger(__name__)

ESCALATE_BATCH = 1000
NOBODY_TO_PAGE = "Nobody to page: nobody on shift for this line and no medical director."
STEP_LINE: dict[str, str] = {
    CallEscalation.Step.SECOND_LINE: Line.SECOND,
    CallEscalation.Step.BACKUP: Line.BACKUP,
}


@dataclass(frozen=True)
class EscalationPolicy:
    callback_within: timedelta
    backup_after: timedelta

    @classmethod
    def of(cls, program: Any) -> EscalationPolicy:
        return cls(
            callback_within=timedelta(minutes=float(program.setting("support_callback_minutes"))),
            backup_after=timedelta(minutes=float(program.setting("support_backup_minutes"))),
        )


@dataclass
class SweepResult:
    steps: list[CallEscalation] = field(default_factory=list)
    pages_sent: int = 0


def medical_director(program: Any) -> User | None:
    return (
        User.objects.filter(program=program, is_active=True, role=Role.MEDICAL_DIRECTOR)
        .order_by("date_joined", "pk")
        .first()
    )


def watched_calls(program: Any) -> QuerySet[Call]:
    """Calls an escalation may still concern: open, not entered in error, not acknowledged."""
    return Call.objects.filter(
        program=program,
        status=Call.Status.OPEN,
        entered_in_error=False,
        acknowledged_at__isnull=True,
    )


def _is_watched(call: Call) -> bool:
    return (
        call.status == Call.Status.OPEN
        and not call.entered_in_error
        and call.acknowledged_at is None
    )


def _needs_backup_q() -> Q:
    return Q(red_flag=True) | Q(called_back_at__isnull=True)


def _record(call: Call, *, step: str, why: str, now: datetime) -> CallEscalation | None:
    to_user = on_call_now(program=call.program, line=STEP_LINE[step], at=now)
    nobody_on_shift = to_user is None
    if nobody_on_shift:
        to_user = medical_director(call.program)
        log.warning("call %s: nobody on shift for the %s line", call.pk, STEP_LINE[step])
    try:
        with transaction.atomic():
            row = CallEscalation.objects.create(
                call=call,
                step=step,
                why=why,
                sent_to=to_user,
                nobody_on_shift=nobody_on_shift,
                last_error="" if to_user is not None else NOBODY_TO_PAGE,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:  # another sweep wrote this step first
        return None
    audit_record(
        actor=None,
        action=Action.UPDATE,
        event="call.escalate",
        program=call.program,
        patient=call.patient,
        target=call,
        detail={
            "step": step,
            "why": why,
            "to": str(to_user.uuid) if to_user is not None else "",
            "nobody_on_shift": nobody_on_shift,
        },
    )
    return row


@transaction.atomic
def call_escalate(*, call_id: Any, now: datetime | None = None) -> CallEscalation | None:
    """Take one call a step up, if a step is due. Returns the step written, or None."""
    now = now or clock.now()
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("program", "patient")
        .filter(pk=call_id)
        .first()
    )
    if call is None or not _is_watched(call):
        return None
    policy = EscalationPolicy.of(call.program)
    done = {row.step: row for row in call.escalations.all()}
    second = done.get(CallEscalation.Step.SECOND_LINE)
    if second is None:
        overdue = call.called_back_at is None and call.received_at + policy.callback_within <= now
        if not (call.red_flag or overdue):
            return None
        why = CallEscalation.Why.RED_FLAG if call.red_flag else CallEscalation.Why.NO_CALLBACK
        return _record(call, step=CallEscalation.Step.SECOND_LINE, why=why, now=now)
    if CallEscalation.Step.BACKUP in done or second.created_at + policy.backup_after > now:
        return None
    if not call.red_flag and call.called_back_at is not None:
        return None
    return _record(call, step=CallEscalation.Step.BACKUP, why=second.why, now=now)


def page_message(row: CallEscalation, zone: ZoneInfo) -> tuple[str, str]:
    """The page's subject and body: what is asked of the person, never who the patient is."""
    call = row.call
    received = call.received_at.astimezone(zone)
    if row.why == CallEscalation.Why.RED_FLAG:
        reason = "The nurse's triage found a red flag."
    else:
        waited = max(1, round((row.created_at - call.received_at).total_seconds() / 60))
        reason = f"Nobody had called the caller back {waited} minutes after the call."
    whom = (
        "Nobody was on shift for this line, so the page comes to you as medical director. "
        if row.nobody_on_shift
        else ""
    )
    step = "backup" if row.step == CallEscalation.Step.BACKUP else "second line"
    subject = f"Pallio support line: a call needs you ({step})"
    body = (
        f"A call to the support line received at {received:%H:%M} on {received:%d %b %Y} "
        f"needs you. {reason} {whom}\n\n"
        "Sign in to Pallio and open the support line's escalations "
        "(/support/escalations/) to see the call and acknowledge it.\n"
    )
    return subject, body


def escalation_page_send(*, escalation_id: Any) -> bool:
    """Send one step's page, unless it was sent or the call no longer needs it. Safe to run
    twice. A failed send keeps the error and leaves the page for the next sweep."""
    with transaction.atomic():
        row = (
            CallEscalation.objects.select_for_update(of=("self",))
            .select_related("call__program", "call__patient", "sent_to")
            .filter(pk=escalation_id)
            .first()
        )
        if row is None or row.sent_at is not None or row.sent_to is None:
            return False
        call = row.call
        if not _is_watched(call):
            return False
        subject, body = page_message(row, ZoneInfo(call.program.timezone))
        try:
            channels = page_send(
                to_user=row.sent_to,
                subject=subject,
                body=body,
                message_id=f"<call-escalation-{row.pk}@pallio.invalid>",
            )
        except OSError as exc:
            row.last_error = f"Not sent: {type(exc).__name__}"
            row.updated_at = clock.now()
            row.save(update_fields=["last_error", "updated_at"])
            log.warning("page %s not sent: %s", row.pk, type(exc).__name__)
            return False
        row.sent_at = clock.now()
        row.updated_at = row.sent_at
        row.channel = ",".join(channels)
        row.last_error = ""
        row.save(update_fields=["sent_at", "updated_at", "channel", "last_error"])
        audit_record(
            actor=None,
            action=Action.UPDATE,
            event="call.page",
            program=call.program,
            patient=call.patient,
            target=call,
            detail={"step": row.step, "to": str(row.sent_to.uuid), "channel": row.channel},
        )
    return True


def calls_escalate(
    *, program: Any, now: datetime | None = None, limit: int = ESCALATE_BATCH
) -> SweepResult:
    """Escalate every call of `program` with a step due and send its page, each call in its
    own transactions (a worker stopped half-way keeps what it did; the next sweep does the
    rest), then send the pages an earlier sweep could not."""
    now = now or clock.now()
    policy = EscalationPolicy.of(program)
    watched = watched_calls(program)
    second_due = (
        watched.filter(
            Q(red_flag=True)
            | Q(called_back_at__isnull=True, received_at__lte=now - policy.callback_within)
        )
        .exclude(escalations__step=CallEscalation.Step.SECOND_LINE)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    backup_due = (
        watched.filter(_needs_backup_q())
        .filter(
            escalations__step=CallEscalation.Step.SECOND_LINE,
            escalations__created_at__lte=now - policy.backup_after,
        )
        .exclude(escalations__step=CallEscalation.Step.BACKUP)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    result = SweepResult()
    tried: set[Any] = set()
    for call_id in [*backup_due, *second_due]:
        row = call_escalate(call_id=call_id, now=now)
        if row is None:
            continue
        result.steps.append(row)
        if row.sent_to_id is not None:
            tried.add(row.pk)
            result.pages_sent += escalation_page_send(escalation_id=row.pk)
    unsent = (
        CallEscalation.objects.filter(call__in=watched, sent_at__isnull=True, sent_to__isnull=False)
        .exclude(pk__in=tried)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for escalation_id in unsent:
        result.pages_sent += escalation_page_send(escalation_id=escalation_id)
    return result


# --- acknowledging, and the on-call screen's list --------------------------------------------


@transaction.atomic
def call_acknowledge(*, actor: Any, call: Call, expected_version: int | None) -> Call:
    """Someone has the escalated call: it stops standing out and escalates no further."""
    privilege_check(actor, "call.dispose")
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(
            "This call was changed by someone else while you were looking at it. "
            "Reload to see their change."
        )
    if locked.acknowledged_at is not None:
        raise ValidationError("Someone has already acknowledged this call.")
    if not locked.escalations.exists():
        raise ValidationError(
            "This call has not been escalated, so there is nothing to acknowledge."
        )
    locked.acknowledged_at = clock.now()
    locked.acknowledged_by = actor
    locked.save_versioned(
        expected_version=locked.version, fields=["acknowledged_at", "acknowledged_by"]
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="call.acknowledge",
        program=call.program,
        patient=call.patient,
        target=locked,
    )
    return locked


def _visible_calls(user: Any) -> QuerySet[Call]:
    """Calls of the user's program about a patient they reach, or about nobody matched."""
    return Call.objects.filter(program_id=user.program_id, entered_in_error=False).filter(
        Q(patient__isnull=True) | Q(access.patient_access_q(user, prefix="patient__"))
    )


def _escalated() -> Exists:
    return Exists(CallEscalation.objects.filter(call_id=OuterRef("pk")))


def escalated_call_get_for(user: Any, call_id: Any) -> Call:
    """An escalated call the user may act on; Http404 for any other (same answer for
    'not yours' and 'does not exist')."""
    call = (
        _visible_calls(user)
        .filter(_escalated(), pk=call_id)
        .select_related("patient", "program")
        .first()
    )
    if call is None:
        raise Http404
    return call


def escalations_open_for(user: Any, *, limit: int = 50) -> list[Call]:
    """Escalated calls nobody has acknowledged, oldest first, with their steps. A fixed number
    of queries; the read is audited with the patients listed."""
    calls = list(
        _visible_calls(user)
        .filter(_escalated(), status=Call.Status.OPEN, acknowledged_at__isnull=True)
        .select_related("patient", "taken_by")
        .prefetch_related(
            Prefetch(
                "escalations",
                queryset=CallEscalation.objects.select_related("sent_to").order_by("created_at"),
            )
        )
        .order_by("received_at", "id")[:limit]
    )
    audit_record(
        actor=user,
        action=Action.READ,
        event="support.escalations",
        detail={"patients": sorted({str(c.patient_id) for c in calls if c.patient_id})},
    )
    return calls

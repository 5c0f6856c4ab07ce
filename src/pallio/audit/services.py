"""Writing and verifying the audit trail."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from pallio.audit.chain import chain_verify, content_mac, seal_pending
from pallio.audit.models import Action, AuditEvent, HashScheme, Outcome, SecurityAlert
from pallio.core import access, clock
from pallio.core.access import ROLE_PRIVACY
from pallio.core.middleware import current_source_address


def _event_row(
    *,
    actor: Any,
    action: str,
    event: str,
    patient: Any = None,
    target: Any = None,
    outcome: str = Outcome.SUCCESS,
    program: Any = None,
    detail: dict[str, Any] | None = None,
    patient_id: uuid.UUID | None = None,
) -> AuditEvent:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    program_id = getattr(program, "id", None) or getattr(patient, "program_id", None)
    if program_id is None and authenticated:
        program_id = getattr(actor, "program_id", None)
    row = AuditEvent(
        at=clock.now().astimezone(UTC),
        program_id=program_id,
        user_id=actor.pk if authenticated else None,
        username=actor.get_username() if authenticated else "",
        role=getattr(actor, "audit_role", getattr(actor, "role", "")) if authenticated else "",
        patient_id=getattr(patient, "pk", None) or patient_id,
        action=action,
        event=event,
        object_type=type(target).__name__ if target is not None else "",
        object_id=str(getattr(target, "pk", "")) if target is not None else "",
        outcome=outcome,
        source_address=current_source_address.get(),
        detail=detail or {},
        scheme=HashScheme.SEALED,
        prev_hash="",
        hash="",
    )
    row.content_mac = content_mac(row)
    return row


def audit_record(
    *,
    actor: Any,
    action: str,
    event: str,
    patient: Any = None,
    target: Any = None,
    outcome: str = Outcome.SUCCESS,
    program: Any = None,
    detail: dict[str, Any] | None = None,
    patient_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction: one INSERT, no lock (ADR 0012);
    the sealer chains it within seconds. `patient_id` names a patient that was asked for but
    not reached (a refusal), where no patient object exists."""
    row = _event_row(
        actor=actor,
        action=action,
        event=event,
        patient=patient,
        target=target,
        outcome=outcome,
        program=program,
        detail=detail,
        patient_id=patient_id,
    )
    row.save(force_insert=True)
    return row


def audit_record_many(entries: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events, in the order given, in the caller's transaction: each entry
    takes audit_record's arguments. The rows are written with one INSERT (ids follow the
    list, so the chain reads in this order)."""
    rows = [_event_row(**entry) for entry in entries]
    if rows:
        AuditEvent.objects.bulk_create(rows)
    return rows


def audit_read(*, actor: Any, patient: Any, target: Any = None, event: str) -> AuditEvent:
    detail = None
    # An on-call clinician reading a patient who is not theirs, through their shift: the row
    # says so (issue 13, "audited as such"). Only the on-call role pays for the check.
    if (
        getattr(actor, "role", "") == access.ROLE_ON_CALL
        and patient is not None
        and access.access_reason(actor, patient) == access.ON_CALL_SHIFT
    ):
        detail = {"access": access.ON_CALL_SHIFT, "why": "On-call clinician during a shift"}
    return audit_record(
        actor=actor,
        action=Action.READ,
        event=event,
        patient=patient,
        target=target if target is not None else patient,
        detail=detail,
    )


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Seal every event still waiting, then walk the chain in order. Returns (events checked,
    first broken row or None); a problem not at a row (the end of the chain, a checkpoint) is
    an unsaved row describing it."""
    seal_pending(window=None)
    report = chain_verify()
    if report.intact:
        return report.checked, None
    if report.broken is not None:
        return report.checked, report.broken
    return report.checked, AuditEvent(id=None, event=report.problems[0][:60])


# --- refusals -------------------------------------------------------------------------------

# The first key of the advisory lock taken while a user's refusals are counted.
DENIALS_LOCK = 0x50414C  # "PAL"


@transaction.atomic
def denial_record(
    *,
    actor: Any,
    action: str,
    event: str,
    patient_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Put one refused request on the record (outcome "denied"), and raise a security alert
    when the user has now been refused too often within the program's window."""
    row = audit_record(
        actor=actor,
        action=action,
        event=event,
        outcome=Outcome.DENIED,
        patient_id=patient_id,
        detail=detail,
    )
    program = getattr(actor, "program", None) if row.user_id is not None else None
    if program is not None:
        # Concurrent refusals of one user are counted one after the other, so a window
        # raises one alert: a lock on the user until the transaction ends (PostgreSQL;
        # SQLite takes one writer at a time already).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [DENIALS_LOCK, int(actor.pk) % 2**31],
                )
        security_alert_raise_if_due(actor=actor, program=program)
    return row


def security_alert_raise_if_due(*, actor: Any, program: Any) -> SecurityAlert | None:
    threshold = int(program.setting("denials_alert_threshold"))
    window = timedelta(minutes=int(program.setting("denials_alert_window_minutes")))
    now = clock.now()
    since = now - window
    if SecurityAlert.objects.filter(user_id=actor.pk, raised_at__gt=since).exists():
        return None  # one alert per window, not one per refusal
    denials = AuditEvent.objects.filter(
        user_id=actor.pk, outcome=Outcome.DENIED, at__gt=since
    ).count()
    if denials < threshold:
        return None
    officers = list(
        get_user_model()
        .objects.filter(program_id=program.pk, role=ROLE_PRIVACY, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    alert = SecurityAlert.objects.create(
        program_id=program.pk,
        user_id=actor.pk,
        username=actor.get_username(),
        raised_at=now,
        window_start=since,
        denials=denials,
        emailed_to=officers,
    )
    audit_record(
        actor=None,
        action=Action.CREATE,
        event="audit.security_alert",
        program=program,
        target=alert,
        detail={"user": actor.get_username(), "denials": denials},
    )
    if officers:
        from pallio.audit.tasks import security_alert_notify_enqueue

        transaction.on_commit(lambda: security_alert_notify_enqueue(alert.pk))
    return alert

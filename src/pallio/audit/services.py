"""Writing and verifying the audit trail."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db import transaction

from pallio.audit.chain import GENESIS_HASH, chain_verify, keyed_hash
from pallio.audit.models import Action, AuditChainHead, AuditEvent, HashScheme, Outcome
from pallio.core import clock
from pallio.core.middleware import current_source_address


@transaction.atomic
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
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    program_id = getattr(program, "id", None) or getattr(patient, "program_id", None)
    if program_id is None and authenticated:
        program_id = getattr(actor, "program_id", None)
    row = AuditEvent(
        at=clock.now().astimezone(UTC),
        program_id=program_id,
        user_id=actor.pk if authenticated else None,
        username=actor.get_username() if authenticated else "",
        role=getattr(actor, "role", "") if authenticated else "",
        patient_id=getattr(patient, "pk", None),
        action=action,
        event=event,
        object_type=type(target).__name__ if target is not None else "",
        object_id=str(getattr(target, "pk", "")) if target is not None else "",
        outcome=outcome,
        source_address=current_source_address.get(),
        detail=detail or {},
        scheme=HashScheme.HMAC,
    )
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH, count=0)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    row.prev_hash = head.last_hash
    row.hash = keyed_hash(row.prev_hash, row)
    row.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(last_hash=row.hash, count=head.count + 1)
    return row


def audit_read(*, actor: Any, patient: Any, target: Any = None, event: str) -> AuditEvent:
    return audit_record(
        actor=actor,
        action=Action.READ,
        event=event,
        patient=patient,
        target=target if target is not None else patient,
    )


def audit_verify() -> tuple[int, AuditEvent | None]:
    """Walk the chain in order. Returns (rows checked, first broken row or None); a problem
    not at a row (the end of the chain, a checkpoint) is an unsaved row describing it."""
    report = chain_verify()
    if report.intact:
        return report.checked, None
    if report.broken is not None:
        return report.checked, report.broken
    return report.checked, AuditEvent(id=None, event=report.problems[0][:60])

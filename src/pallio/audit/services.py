"""Writing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.db import transaction

from pallio.audit.models import Action, AuditChainHead, AuditEvent, Outcome
from pallio.core import clock
from pallio.core.middleware import current_source_address

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "at",
    "program_id",
    "user_id",
    "username",
    "role",
    "patient_id",
    "action",
    "event",
    "object_type",
    "object_id",
    "outcome",
    "source_address",
    "detail",
)


def _canonical(event: AuditEvent) -> str:
    values: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        if name == "at":
            value = value.isoformat()
        elif value is not None and name in {"program_id", "patient_id"}:
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(f"{prev_hash}|{_canonical(event)}".encode()).hexdigest()


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
    )
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH, count=0)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    row.prev_hash = head.last_hash
    row.hash = event_hash(row.prev_hash, row)
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


def audit_verify(*, batch_size: int = 5000) -> tuple[int, AuditEvent | None]:
    """Walk the chain in order. Returns (rows checked, first broken row or None)."""
    checked = 0
    prev = GENESIS_HASH
    for row in _iter_rows(batch_size):
        if row.prev_hash != prev or event_hash(prev, row) != row.hash:
            return checked, row
        prev = row.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != checked):
        # Rows were removed from the end of the chain.
        return checked, AuditEvent(
            id=None,
            prev_hash=prev,
            hash=head.last_hash,
            event="(missing rows at the end of the chain)",
        )
    return checked, None


def _iter_rows(batch_size: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id

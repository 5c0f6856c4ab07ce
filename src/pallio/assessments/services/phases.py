"""The phase of care, recorded at a contact."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.assessments.models import Channel, Phase, PhaseOfCare
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.privileges import privilege_check

# A report may be timed a little ahead of the server's clock (a phone's clock), not more.
CLOCK_SKEW = timedelta(minutes=10)


# --- phase of care ------------------------------------------------------------------------------


@transaction.atomic
def phase_record(
    *,
    actor: Any,
    patient: Any,
    phase: str,
    contact: str,
    note: str = "",
    recorded_at: datetime | None = None,
) -> PhaseOfCare:
    """Record the phase of care at a contact. A phase continues while it is recorded again;
    a different phase starts a new one."""
    privilege_check(actor, "phase.record")
    errors: dict[str, list[str]] = {}
    if phase not in Phase.values:
        errors["phase"] = ["Choose a phase of care."]
    if contact not in Channel.values:
        errors["contact"] = ["Say how the contact was made."]
    if len(note) > 500 or "\x00" in note:
        errors["note"] = ["Keep the note under 500 characters."]
    now = clock.now()
    when = recorded_at or now
    if when > now + CLOCK_SKEW:
        errors["recorded_at"] = ["The time is in the future."]
    if errors:
        raise ValidationError(errors)
    latest = (
        PhaseOfCare.objects.filter(patient=patient, recorded_at__lte=when)
        .order_by("-recorded_at")
        .first()
    )
    started = latest.phase_started_at if latest and latest.phase == phase else when
    row = PhaseOfCare.objects.create(
        program_id=patient.program_id,
        patient=patient,
        phase=phase,
        recorded_at=when,
        phase_started_at=started,
        contact=contact,
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="phase.record",
        patient=patient,
        target=row,
        detail={"phase": phase},
    )
    return row

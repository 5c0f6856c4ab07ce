"""The team's side of portal access: who has it for a patient, suspending a caregiver with a
reason and lifting it, and recording that the patient cannot decide (their healthcare agent's
account then decides who sees their care). Each needs the ``portal.manage`` privilege and the
patient's care (portal/invitations.team_check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.validation import Errors, check_text
from pallio.portal.invitations import team_check
from pallio.portal.models import PortalAccess, PortalInvitation, PortalRelation

REASON_LIMIT = 1000


def portal_accounts_of(patient: Any) -> QuerySet[PortalAccess]:
    return (
        PortalAccess.objects.filter(patient=patient)
        .select_related("user", "person", "suspended_by", "revoked_by")
        .order_by("revoked_at", "created_at")
    )


def open_invitations_of(patient: Any) -> QuerySet[PortalInvitation]:
    return PortalInvitation.objects.filter(
        patient=patient, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=clock.now()
    ).select_related("person", "invited_by")


def _locked_caregiver(patient: Any, access_id: Any) -> PortalAccess:
    row = (
        PortalAccess.objects.select_for_update()
        .filter(pk=access_id, patient=patient, relation=PortalRelation.CAREGIVER)
        .first()
    )
    if row is None or row.revoked_at is not None:
        raise Http404
    return row


@transaction.atomic
def caregiver_suspend(*, actor: Any, patient: Any, access_id: Any, reason: str) -> PortalAccess:
    team_check(actor, patient)
    reason = reason.strip()
    errors: Errors = {}
    check_text(errors, "reason", reason, REASON_LIMIT, required=True)
    if errors:
        raise ValidationError(errors)
    row = _locked_caregiver(patient, access_id)
    if row.suspended_at is not None:
        raise ValidationError("This caregiver's access is suspended already.")
    row.suspended_at = clock.now()
    row.suspended_by = actor
    row.suspended_reason = reason
    row.updated_at = row.suspended_at
    row.save(update_fields=["suspended_at", "suspended_by", "suspended_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="portal.suspend",
        target=row,
        patient=patient,
        program=patient.program,
        detail={"reason": reason},
    )
    return row


@transaction.atomic
def caregiver_lift(*, actor: Any, patient: Any, access_id: Any) -> PortalAccess:
    team_check(actor, patient)
    row = _locked_caregiver(patient, access_id)
    if row.suspended_at is None:
        return row
    row.suspended_at = None
    row.suspended_by = None
    row.suspended_reason = ""
    row.updated_at = clock.now()
    row.save(update_fields=["suspended_at", "suspended_by", "suspended_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="portal.lift",
        target=row,
        patient=patient,
        program=patient.program,
    )
    return row


@transaction.atomic
def decides_for_patient_set(
    *, actor: Any, patient: Any, access_id: Any, decides: bool
) -> PortalAccess:
    """Record that the patient cannot decide and that this caregiver, their healthcare agent,
    decides who sees their care (or undo it)."""
    team_check(actor, patient)
    row = _locked_caregiver(patient, access_id)
    person = row.person
    if decides and (person is None or person.rank != 0 or person.entered_in_error):
        raise ValidationError(
            "Only the patient's healthcare agent (named first on the chart) can decide for them."
        )
    if row.decides_for_patient != decides:
        row.decides_for_patient = decides
        row.updated_at = clock.now()
        row.save(update_fields=["decides_for_patient", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="portal.decides_for_patient",
            target=row,
            patient=patient,
            program=patient.program,
            detail={"decides": decides},
        )
    return row

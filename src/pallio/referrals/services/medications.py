"""Reconciling the referrer's medications into the patient's medication list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.validation import check_text
from pallio.medications.services import MedicationInput, medication_add
from pallio.referrals.models import (
    MedicationReconciliation,
    ReconciliationDecision,
    ReferralMedication,
)

# --- reconciling the referrer's medications into the medication list ------------------------


def _assert_may_reconcile(actor: Any, item: ReferralMedication) -> None:
    patient = item.referral.patient
    if (
        patient is None
        or not access.has_perm(actor, "medication.record")
        or not access.can_access_patient(actor, patient)
    ):
        raise PermissionDenied("You may not change this patient's medication list.")


def _lock_undecided(item: ReferralMedication) -> ReferralMedication:
    locked = ReferralMedication.objects.select_for_update().get(pk=item.pk)
    if MedicationReconciliation.objects.filter(referral_medication=locked).exists():
        raise ValidationError("This medication was already reconciled.")
    return locked


@transaction.atomic
def referral_medication_add_to_list(
    *,
    actor: Any,
    item: ReferralMedication,
    data: MedicationInput,
    confirm_high_dose_reason: str = "",
) -> MedicationReconciliation:
    """Add a medication the referrer listed to the patient's medication list, as the clinician
    confirmed it, and record the decision. Nothing reaches the list without this step."""
    _assert_may_reconcile(actor, item)
    locked = _lock_undecided(item)
    patient = item.referral.patient
    statement = medication_add(
        actor=actor, patient=patient, data=data, confirm_high_dose_reason=confirm_high_dose_reason
    )
    decision = MedicationReconciliation.objects.create(
        referral_medication=locked,
        decision=ReconciliationDecision.ADDED,
        medication=statement,
        decided_by=actor,
        decided_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="referral.medication.added",
        patient=patient,
        target=decision,
        detail={"referral": item.referral.reference, "medication": str(statement.pk)},
    )
    return decision


@transaction.atomic
def referral_medication_decline(
    *, actor: Any, item: ReferralMedication, reason: str
) -> MedicationReconciliation:
    """Record that a medication the referrer listed is not going on the list (not taking it,
    stopped, a duplicate...), with the clinician's reason."""
    _assert_may_reconcile(actor, item)
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    check_text(errors, "reason", reason, 300, required=True)
    if errors:
        raise ValidationError(errors)
    locked = _lock_undecided(item)
    decision = MedicationReconciliation.objects.create(
        referral_medication=locked,
        decision=ReconciliationDecision.DECLINED,
        reason=reason,
        decided_by=actor,
        decided_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="referral.medication.declined",
        patient=item.referral.patient,
        target=decision,
        detail={"referral": item.referral.reference},
    )
    return decision

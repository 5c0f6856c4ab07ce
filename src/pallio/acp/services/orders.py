"""Code status and portable medical orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max

from pallio.acp.models import AdvanceDirectiveDocument, CodeStatus, CodeStatusValue, PortableOrder
from pallio.acp.services.common import (
    STALE_MESSAGE,
    _check_not_future,
    _lock_patient,
    _raise,
    _same_patient,
    _today,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check
from pallio.core.validation import check_choice, check_text
from pallio.patients.models import Patient

# --- code status and portable orders --------------------------------------------------------


def current_code_status_of(patient: Patient) -> CodeStatus | None:
    return (
        CodeStatus.objects.filter(patient=patient, entered_in_error=False)
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def code_status_change(
    *,
    actor: Any,
    patient: Patient,
    status: str,
    effective_date: date,
    note: str = "",
    expected_current_id: Any,
) -> CodeStatus:
    """Record a new code status. `expected_current_id` is the status the recorder saw as
    current (None when there was none); if it changed since, ConflictError, never a silent
    overwrite."""
    privilege_check(
        actor, "code_status.change" if current_code_status_of(patient) else "code_status.record"
    )
    errors: dict[str, list[str]] = {}
    check_choice(errors, "status", status, CodeStatusValue.values)
    check_text(errors, "note", note, 500)
    if not isinstance(effective_date, date):
        errors.setdefault("effective_date", []).append("Enter the date it takes effect.")
    else:
        _check_not_future(errors, "effective_date", effective_date, _today(patient))
    _raise(errors)
    _lock_patient(patient)
    current = current_code_status_of(patient)
    current_id = str(current.pk) if current else ""
    if current_id != (str(expected_current_id) if expected_current_id else ""):
        raise ConflictError(STALE_MESSAGE.format(what="code status"))
    entry = CodeStatus.objects.create(
        program_id=patient.program_id,
        patient=patient,
        status=status,
        effective_date=effective_date,
        note=note.strip(),
        replaces=current,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.code_status.change",
        patient=patient,
        target=entry,
        detail={"status": status, "previous": current.status if current else None},
    )
    return entry


@dataclass
class PortableOrderInput:
    form_type: str
    signer_name: str
    signer_role: str
    effective_date: date
    cpr: str
    medical_interventions: str
    artificial_nutrition: str


def current_portable_order_of(patient: Patient) -> PortableOrder | None:
    return (
        PortableOrder.objects.filter(
            patient=patient, entered_in_error=False, superseded_by__isnull=True
        )
        .order_by("-version_number")
        .first()
    )


@transaction.atomic
def portable_order_record(
    *,
    actor: Any,
    patient: Patient,
    data: PortableOrderInput,
    expected_current_id: Any,
    document: AdvanceDirectiveDocument | None = None,
) -> PortableOrder:
    """Record a new POLST/MOLST version; the previous one is kept, marked superseded."""
    privilege_check(
        actor,
        "portable_order.change" if current_portable_order_of(patient) else "portable_order.record",
    )
    errors: dict[str, list[str]] = {}
    check_choice(errors, "form_type", data.form_type, PortableOrder.FormType.values)
    check_choice(errors, "cpr", data.cpr, PortableOrder.Cpr.values)
    check_choice(
        errors,
        "medical_interventions",
        data.medical_interventions,
        PortableOrder.Interventions.values,
    )
    check_choice(
        errors, "artificial_nutrition", data.artificial_nutrition, PortableOrder.Nutrition.values
    )
    check_text(errors, "signer_name", data.signer_name, 200, required=True)
    check_text(errors, "signer_role", data.signer_role, 100, required=True)
    if not isinstance(data.effective_date, date):
        errors.setdefault("effective_date", []).append("Enter the date the order was signed.")
    else:
        _check_not_future(errors, "effective_date", data.effective_date, _today(patient))
    _raise(errors)
    _same_patient(document, patient)
    _lock_patient(patient)
    current = current_portable_order_of(patient)
    current_id = str(current.pk) if current else ""
    if current_id != (str(expected_current_id) if expected_current_id else ""):
        raise ConflictError(STALE_MESSAGE.format(what="portable medical order"))
    last = PortableOrder.objects.filter(patient=patient).aggregate(n=Max("version_number"))["n"]
    order = PortableOrder.objects.create(
        program_id=patient.program_id,
        patient=patient,
        form_type=data.form_type,
        version_number=(last or 0) + 1,
        signer_name=data.signer_name.strip(),
        signer_role=data.signer_role.strip(),
        effective_date=data.effective_date,
        cpr=data.cpr,
        medical_interventions=data.medical_interventions,
        artificial_nutrition=data.artificial_nutrition,
        document=document,
        recorded_by=actor,
    )
    if current is not None:
        current.superseded_by = order
        current.save(update_fields=["superseded_by"])
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.portable_order.record",
        patient=patient,
        target=order,
        detail={"version": order.version_number},
    )
    return order

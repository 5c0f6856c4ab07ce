"""Every write to a patient record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.patients.models import Condition, Coverage, Patient
from pallio.programs.models import Program


@dataclass(frozen=True)
class PatientIdentity:
    given_name: str
    family_name: str
    birth_date: date
    sex: str = "unknown"
    middle_name: str = ""
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    residence: str = "home"
    language: str = "English"
    extra: dict[str, Any] = field(default_factory=dict)


def _next_mrn(program: Program) -> str:
    # Locks nothing on its own: callers run inside the referral's transaction, and the
    # unique constraint on (program, mrn) turns a rare race into a retryable error.
    last = Patient.objects.filter(program=program).aggregate(m=Max("mrn"))["m"]
    number = int(last.removeprefix("P")) + 1 if last else 100001
    return f"P{number:06d}"


@transaction.atomic
def patient_create(
    *, actor: Any, program: Program, identity: PatientIdentity, mrn: str | None = None
) -> Patient:
    patient = Patient(
        program=program,
        mrn=mrn or _next_mrn(program),
        given_name=identity.given_name,
        middle_name=identity.middle_name,
        family_name=identity.family_name,
        birth_date=identity.birth_date,
        sex=identity.sex,
        phone=identity.phone,
        email=identity.email,
        address_line=identity.address_line,
        city=identity.city,
        state=identity.state,
        postal_code=identity.postal_code,
        residence=identity.residence,
        language=identity.language,
    )
    patient.full_clean()
    patient.save()
    audit_record(actor=actor, action=Action.CREATE, event="patient.create", patient=patient)
    return patient


@transaction.atomic
def condition_add(
    *,
    actor: Any,
    patient: Patient,
    system: str,
    code: str,
    display: str,
    onset_date: date | None = None,
    advanced: bool = False,
    stage: str = "",
    is_primary: bool = False,
) -> Condition:
    existing = patient.conditions.filter(system=system, code=code, entered_in_error=False).first()
    if existing is not None:
        return existing
    condition = Condition.objects.create(
        patient=patient,
        system=system,
        code=code,
        display=display,
        onset_date=onset_date,
        advanced=advanced,
        stage=stage,
        is_primary=is_primary,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="condition.create",
        patient=patient,
        target=condition,
    )
    return condition


@transaction.atomic
def coverage_set(
    *,
    actor: Any,
    patient: Patient,
    payer_type: str,
    payer_name: str = "",
    member_id: str = "",
    authorization: str = "not_needed",
    authorization_number: str = "",
) -> Coverage:
    """Record the patient's current insurance; the previous one stays, marked inactive."""
    current = patient.coverages.filter(active=True).first()
    if current is not None and (current.payer_type, current.payer_name, current.member_id) == (
        payer_type,
        payer_name,
        member_id,
    ):
        current.authorization = authorization
        current.authorization_number = authorization_number
        current.save(update_fields=["authorization", "authorization_number"])
        coverage = current
    else:
        patient.coverages.filter(active=True).update(active=False)
        coverage = Coverage.objects.create(
            patient=patient,
            payer_type=payer_type,
            payer_name=payer_name,
            member_id=member_id,
            authorization=authorization,
            authorization_number=authorization_number,
        )
    audit_record(
        actor=actor, action=Action.UPDATE, event="coverage.set", patient=patient, target=coverage
    )
    return coverage

"""Every write to the medication list. Pallio records and totals doses; it never proposes one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.privileges import privilege_check
from pallio.medications import catalog
from pallio.medications.models import MedicationStatement

MAX_DOSE = Decimal("100000")
MAX_DOSES_PER_DAY = Decimal("48")


@dataclass
class MedicationInput:
    catalog_key: str = ""
    free_text: str = ""
    dose_amount: Any = None
    doses_per_day: Any = None
    as_needed: bool = False
    route: str = ""
    started_on: date | None = None
    note: str = ""


def _decimal(value: Any, name: str, limit: Decimal, errors: dict[str, list[str]]) -> Any:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append("Enter a number.")
        return None
    if not number.is_finite() or number <= 0 or number > limit:
        errors.setdefault(name, []).append(f"Enter a number above 0 and up to {limit}.")
        return None
    return number


@transaction.atomic
def medication_add(*, actor: Any, patient: Any, data: MedicationInput) -> MedicationStatement:
    """Add a medication the patient takes (from the catalog, or as free text)."""
    privilege_check(actor, "medication.add")
    errors: dict[str, list[str]] = {}
    item = catalog.entry(data.catalog_key) if data.catalog_key else None
    if data.catalog_key and item is None:
        errors.setdefault("catalog_key", []).append("Choose a medication from the list.")
    free = data.free_text.strip()
    if not data.catalog_key and not free:
        errors.setdefault("catalog_key", []).append("Choose a medication or type its name.")
    for name, value, limit in (
        ("free_text", free, 200),
        ("route", data.route, 40),
        ("note", data.note, 500),
    ):
        if len(value) > limit or "\x00" in value:
            errors.setdefault(name, []).append(f"Keep this under {limit} characters.")
    dose = _decimal(data.dose_amount, "dose_amount", MAX_DOSE, errors)
    per_day = _decimal(data.doses_per_day, "doses_per_day", MAX_DOSES_PER_DAY, errors)
    today = clock.today_in(patient.program.timezone)
    if data.started_on and (data.started_on > today or data.started_on < patient.birth_date):
        errors.setdefault("started_on", []).append("Check the start date.")
    if errors:
        raise ValidationError(errors)
    if item is not None:
        system, code, display = item.coding
    else:
        system, code, display = catalog.PALLIO_MEDICATION, "free-text", free
    row = MedicationStatement.objects.create(
        program_id=patient.program_id,
        patient=patient,
        catalog_key=item.key if item else "",
        code_system=system,
        code=code,
        display=display,
        is_opioid=bool(item and item.opioid),
        is_bowel_regimen=bool(item and item.bowel_regimen),
        dose_amount=dose,
        dose_unit=item.dose_unit if item else "",
        doses_per_day=per_day,
        as_needed=data.as_needed,
        route=data.route,
        started_on=data.started_on,
        note=data.note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="medication.add",
        patient=patient,
        target=row,
        detail={"code": code},
    )
    _check_after_commit(patient)
    return row


@transaction.atomic
def medication_stop(
    *,
    actor: Any,
    statement: MedicationStatement,
    expected_version: int | None,
    entered_in_error: bool = False,
) -> MedicationStatement:
    privilege_check(actor, "medication.void" if entered_in_error else "medication.stop")
    if statement.status != MedicationStatement.Status.ACTIVE:
        raise ValidationError("This medication is not active.")
    statement.status = (
        MedicationStatement.Status.ENTERED_IN_ERROR
        if entered_in_error
        else MedicationStatement.Status.STOPPED
    )
    statement.stopped_on = clock.today_in(statement.patient.program.timezone)
    statement.save_versioned(expected_version=expected_version, fields=["status", "stopped_on"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="medication.stop",
        patient=statement.patient,
        target=statement,
    )
    _check_after_commit(statement.patient)
    return statement


def _check_after_commit(patient: Any) -> None:
    from pallio.medications.tasks import bowel_regimen_check_enqueue

    patient_id = str(patient.pk)
    transaction.on_commit(lambda: bowel_regimen_check_enqueue(patient_id))


def opioid_without_bowel_regimen(patient: Any) -> MedicationStatement | None:
    """The first active opioid when no active bowel regimen is recorded (NQF #1617)."""
    active = list(
        MedicationStatement.objects.filter(
            patient=patient, status=MedicationStatement.Status.ACTIVE
        ).order_by("created_at")
    )
    if any(s.is_bowel_regimen for s in active):
        return None
    return next((s for s in active if s.is_opioid), None)


@transaction.atomic
def bowel_regimen_check(*, patient: Any) -> Any:
    """Raise the program's opioid-without-bowel-regimen rule, once per opioid course."""
    from pallio.assessments.models import RuleKind
    from pallio.assessments.services import alert_raise, rules_for

    opioid = opioid_without_bowel_regimen(patient)
    if opioid is None:
        return None
    rules = [r for r in rules_for(patient.program) if r.kind == RuleKind.OPIOID_NO_BOWEL_REGIMEN]
    raised = None
    for rule in rules:
        raised = alert_raise(
            rule=rule,
            patient=patient,
            dedupe_key=f"medication:{opioid.pk}:{rule.key}",
            detail=f"{opioid.display} with no laxative or other bowel regimen on the list",
        )
    return raised

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
# The field a dose above the plausible maximum asks for (dose_limits.json).
CONFIRM_HIGH_DOSE = "confirm_high_dose_reason"
MAX_REASON = 500


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


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _dose_check(
    *,
    item: catalog.CatalogEntry,
    dose: Decimal,
    per_day: Decimal | None,
    program_settings: dict[str, Any],
    reason: str,
    errors: dict[str, list[str]],
) -> bool:
    """Refuse an impossible dose; ask for a confirmed reason above the plausible maximum.
    Returns whether the dose is above the plausible maximum (and so needs the reason)."""
    limits = catalog.dose_limits(item.key, program_settings)
    if limits is None:
        return False
    unit, name = item.dose_unit, item.display.lower()
    day = None if item.continuous or per_day is None else dose * per_day
    each = "an hour" if item.continuous else "in one dose"
    if dose > limits.ceiling_dose:
        errors.setdefault("dose_amount", []).append(
            f"{_amount(dose)} {unit} of {name} {each} is above the highest dose Pallio "
            f"records ({_amount(limits.ceiling_dose)} {unit}). Check the dose and its unit."
        )
    if day is not None and limits.ceiling_day is not None and day > limits.ceiling_day:
        errors.setdefault("doses_per_day", []).append(
            f"{_amount(day)} {unit} of {name} a day is above the highest daily amount Pallio "
            f"records ({_amount(limits.ceiling_day)} {unit}). Check the dose and the doses "
            "per day."
        )
    if errors:
        return False
    above = []
    if dose > limits.plausible_max_dose:
        above.append(
            f"{_amount(dose)} {unit} {each} is above the usual maximum of "
            f"{_amount(limits.plausible_max_dose)} {unit}"
        )
    if day is not None and limits.plausible_max_day is not None and day > limits.plausible_max_day:
        above.append(
            f"{_amount(day)} {unit} a day is above the usual maximum of "
            f"{_amount(limits.plausible_max_day)} {unit}"
        )
    if above and not reason:
        errors.setdefault(CONFIRM_HIGH_DOSE, []).append(
            f"High dose of {name}: " + "; ".join(above) + ". If this dose is intended, "
            "confirm it and give the reason; the reason is kept with the record."
        )
    return bool(above)


@transaction.atomic
def medication_add(
    *,
    actor: Any,
    patient: Any,
    data: MedicationInput,
    confirm_high_dose_reason: str = "",
) -> MedicationStatement:
    """Add a medication the patient takes (from the catalog, or as free text).

    A typed name that names an opioid ingredient counts as an opioid (bowel regimen, MME
    incomplete); one Pallio recognises not at all is flagged for a pharmacist's review. A
    dose above the catalogue ingredient's ceiling is refused; one above its plausible maximum
    is recorded only with `confirm_high_dose_reason`, which the record keeps."""
    privilege_check(actor, "medication.add")
    errors: dict[str, list[str]] = {}
    item = catalog.entry(data.catalog_key) if data.catalog_key else None
    if data.catalog_key and item is None:
        errors.setdefault("catalog_key", []).append("Choose a medication from the list.")
    free = data.free_text.strip()
    if not data.catalog_key and not free:
        errors.setdefault("catalog_key", []).append("Choose a medication or type its name.")
    reason = (confirm_high_dose_reason or "").strip()
    for name, value, limit in (
        ("free_text", free, 200),
        ("route", data.route, 40),
        ("note", data.note, 500),
        (CONFIRM_HIGH_DOSE, reason, MAX_REASON),
    ):
        if len(value) > limit or "\x00" in value:
            errors.setdefault(name, []).append(f"Keep this under {limit} characters.")
    dose = _decimal(data.dose_amount, "dose_amount", MAX_DOSE, errors)
    per_day = _decimal(data.doses_per_day, "doses_per_day", MAX_DOSES_PER_DAY, errors)
    today = clock.today_in(patient.program.timezone)
    if data.started_on and (data.started_on > today or data.started_on < patient.birth_date):
        errors.setdefault("started_on", []).append("Check the start date.")
    high_dose = False
    if item is not None and dose is not None and not errors:
        high_dose = _dose_check(
            item=item,
            dose=dose,
            per_day=per_day,
            program_settings=patient.program.settings or {},
            reason=reason,
            errors=errors,
        )
    if errors:
        raise ValidationError(errors)
    route = catalog.route_key(data.route) if data.route.strip() else ""
    known = None
    if item is not None:
        system, code, display = item.coding
        opioid = catalog.opioid_in(item.display) if item.opioid else None
        route = route or item.default_route
    else:
        system, code, display = catalog.PALLIO_MEDICATION, "free-text", free
        opioid = catalog.opioid_in(free)
        known = None if opioid else catalog.catalog_entry_in(free)
    row = MedicationStatement.objects.create(
        program_id=patient.program_id,
        patient=patient,
        catalog_key=item.key if item else "",
        code_system=system,
        code=code,
        display=display,
        is_opioid=bool(item and item.opioid) or opioid is not None,
        is_bowel_regimen=bool(item and item.bowel_regimen) or bool(known and known.bowel_regimen),
        ingredient=opioid.key if opioid else "",
        needs_pharmacist_review=item is None and opioid is None and known is None,
        dose_amount=dose,
        dose_unit=item.dose_unit if item else "",
        doses_per_day=per_day,
        as_needed=data.as_needed,
        route=route,
        started_on=data.started_on,
        note=data.note,
        high_dose_reason=reason if high_dose else "",
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="medication.add",
        patient=patient,
        target=row,
        detail={"code": code, "high_dose_confirmed": high_dose},
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


@transaction.atomic
def medication_review(
    *, actor: Any, statement: MedicationStatement, note: str = ""
) -> MedicationStatement:
    """Record that a pharmacist (or prescriber) reviewed a medication Pallio did not
    recognise: it leaves the review list, and the medication list says who reviewed it."""
    privilege_check(actor, "medication.review")
    note = (note or "").strip()
    if len(note) > MAX_REASON or "\x00" in note:
        raise ValidationError({"note": [f"Keep this under {MAX_REASON} characters."]})
    row = MedicationStatement.objects.select_for_update().get(pk=statement.pk)
    if not row.needs_pharmacist_review:
        raise ValidationError("This medication does not need a pharmacist's review.")
    if row.reviewed_at is not None:
        raise ValidationError("This medication has already been reviewed.")
    if row.status != MedicationStatement.Status.ACTIVE:
        raise ValidationError("This medication is not active.")
    row.reviewed_by = actor
    row.reviewed_at = clock.now()
    row.review_note = note
    row.save_versioned(
        expected_version=row.version, fields=["reviewed_by", "reviewed_at", "review_note"]
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="medication.review",
        patient=statement.patient,
        target=row,
        detail={"note": bool(note)},
    )
    return row


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

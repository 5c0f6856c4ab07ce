"""Allergies and intolerances: record one, record that the patient has no known allergies,
mark a record as no longer applying or entered in error. Who may is decided here (privileges
allergy.record and allergy.void), the same for the pages and any other path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.privileges import privilege_check
from pallio.medications.models import Allergy

LIMITS = {"substance": 200, "reaction": 300, "reason": 500}


@dataclass
class AllergyList:
    """What the chart, the medication page and the call screen show."""

    allergies: list[Allergy] = field(default_factory=list)
    none_known: Allergy | None = None

    @property
    def recorded(self) -> bool:
        return bool(self.allergies) or self.none_known is not None

    @property
    def high_risk(self) -> list[Allergy]:
        return [a for a in self.allergies if a.criticality == Allergy.Criticality.HIGH]


def allergy_rows(patient: Any) -> QuerySet[Allergy]:
    """The patient's active allergy records, as allergies_for reads them."""
    return (
        Allergy.objects.filter(patient_id=patient.pk, status=Allergy.Status.ACTIVE)
        .select_related("recorded_by")
        .order_by("substance", "recorded_at")
    )


def allergies_for(patient: Any, rows: list[Allergy] | None = None) -> AllergyList:
    """The patient's active allergies (high risk first) and the no-known-allergies statement
    if that is what is recorded; one query, none when `rows` (allergy_rows) are given. The
    caller has checked access."""
    if rows is None:
        rows = list(allergy_rows(patient))
    allergies = sorted(
        (a for a in rows if a.substance),
        key=lambda a: (a.criticality != Allergy.Criticality.HIGH, a.substance.lower()),
    )
    none_known = next((a for a in rows if not a.substance), None)
    return AllergyList(allergies, none_known if not allergies else None)


def _text(value: Any, name: str, errors: dict[str, list[str]]) -> str:
    text = str(value or "").strip()
    if len(text) > LIMITS[name] or "\x00" in text:
        errors.setdefault(name, []).append(f"Keep this under {LIMITS[name]} characters.")
    return text


@transaction.atomic
def allergy_record(
    *,
    actor: Any,
    patient: Any,
    substance: str,
    category: str = "",
    criticality: str = "",
    reaction: str = "",
) -> Allergy:
    """Record an allergy or intolerance. The same substance twice is refused (the first is
    kept); a no-known-allergies statement no longer applies once an allergy is recorded."""
    privilege_check(actor, "allergy.record")
    errors: dict[str, list[str]] = {}
    name = _text(substance, "substance", errors)
    if not name and "substance" not in errors:
        errors["substance"] = ["Say what the patient is allergic to."]
    why = _text(reaction, "reaction", errors)
    if category and category not in Allergy.Category.values:
        errors["category"] = ["Choose a category from the list."]
    if criticality and criticality not in Allergy.Criticality.values:
        errors["criticality"] = ["Choose a risk from the list."]
    if patient.deceased_at is not None:
        errors.setdefault("__all__", []).append("The patient has died: the record is closed.")
    active = list(
        Allergy.objects.select_for_update().filter(patient=patient, status=Allergy.Status.ACTIVE)
    )
    if name and any(a.substance.casefold() == name.casefold() for a in active):
        errors.setdefault("substance", []).append(
            f"{name} is already on the allergy list; change that record instead."
        )
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    for statement in (a for a in active if not a.substance):
        statement.status = Allergy.Status.RESOLVED
        statement.status_reason = f"An allergy was recorded: {name}."
        statement.save_versioned(
            expected_version=statement.version, fields=["status", "status_reason"]
        )
    allergy = Allergy.objects.create(
        program=patient.program,
        patient=patient,
        substance=name,
        category=category,
        criticality=criticality,
        reaction=why,
        recorded_by=actor,
        recorded_at=now,
    )
    audit_record(
        actor=actor, action=Action.CREATE, event="allergy.record", patient=patient, target=allergy
    )
    return allergy


@transaction.atomic
def allergy_none_known_record(*, actor: Any, patient: Any) -> Allergy:
    """Record that the patient has no known allergies (asked and answered, not just blank).
    Refused while allergies are on the list: those are marked first."""
    privilege_check(actor, "allergy.record")
    active = list(
        Allergy.objects.select_for_update().filter(patient=patient, status=Allergy.Status.ACTIVE)
    )
    if any(a.substance for a in active):
        raise ValidationError(
            "Allergies are on the list: mark each as no longer applying or entered in error "
            "before recording that there are none."
        )
    if patient.deceased_at is not None:
        raise ValidationError("The patient has died: the record is closed.")
    existing = next(iter(active), None)
    if existing is not None:
        return existing
    statement = Allergy.objects.create(
        program=patient.program, patient=patient, recorded_by=actor, recorded_at=clock.now()
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="allergy.none_known",
        patient=patient,
        target=statement,
    )
    return statement


@transaction.atomic
def allergy_end(
    *, actor: Any, allergy: Allergy, expected_version: int | None, status: str, reason: str
) -> Allergy:
    """Mark an allergy (or the no-known-allergies statement) as no longer applying or as
    entered in error, with the reason; the record stays in the history."""
    privilege_check(
        actor, "allergy.void" if status == Allergy.Status.ENTERED_IN_ERROR else "allergy.record"
    )
    errors: dict[str, list[str]] = {}
    why = _text(reason, "reason", errors)
    if not why and "reason" not in errors:
        errors["reason"] = ["Say why."]
    if status not in (Allergy.Status.RESOLVED, Allergy.Status.ENTERED_IN_ERROR):
        errors["status"] = ["Choose no longer applies or entered in error."]
    if errors:
        raise ValidationError(errors)
    row = Allergy.objects.select_for_update().get(pk=allergy.pk)
    if row.status != Allergy.Status.ACTIVE:
        raise ValidationError("This record is no longer active.")
    row.status = status
    row.status_reason = why
    row.save_versioned(expected_version=expected_version, fields=["status", "status_reason"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="allergy.void" if status == Allergy.Status.ENTERED_IN_ERROR else "allergy.resolve",
        patient=row.patient,
        target=row,
    )
    return row

"""Reads of the medication list, through the patient's access check."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access
from pallio.core.codes import Discipline
from pallio.core.read_together import Rows, read_together
from pallio.medications import mme
from pallio.medications.allergies import allergies_for, allergy_rows
from pallio.medications.models import Allergy, MedicationStatement
from pallio.patients.selectors import patient_get_for

SPECIALIST_KEYS = frozenset({"methadone", "fentanyl-transdermal"})
REVIEW_PAGE_SIZE = 25


def medication_list_for(user: Any, patient_id: Any) -> dict[str, Any]:
    patient = patient_get_for(user, patient_id, event="medication.list")
    statements = list(
        MedicationStatement.objects.filter(patient=patient)
        .exclude(status=MedicationStatement.Status.ENTERED_IN_ERROR)
        .select_related("recorded_by", "reviewed_by")
        .order_by("status", "-is_opioid", "display")
    )
    active = [s for s in statements if s.status == MedicationStatement.Status.ACTIVE]
    summary = mme.mme_summary(active)
    by_statement = {line.statement.pk: line for line in summary.lines}
    rows = [(s, by_statement.get(s.pk)) for s in statements]
    return {
        "patient": patient,
        "allergies": allergies_for(patient),
        "rows": rows,
        "mme": summary,
        "pharmacist_review": [s for s in active if s.needs_pharmacist_review and not s.reviewed_at],
        "on_opioid": any(s.is_opioid for s in active),
        "bowel_regimen": any(s.is_bowel_regimen for s in active),
        # Methadone and fentanyl need specialist rules when rotating (CLINICAL.md section 6).
        "specialist": [s for s in active if s.catalog_key in SPECIALIST_KEYS],
    }


def allergy_get_for(patient: Any, allergy_id: Any) -> Allergy:
    """An allergy record of `patient` (already access-checked); Http404 otherwise."""
    try:
        return Allergy.objects.select_related("patient__program").get(
            pk=allergy_id, patient=patient
        )
    except (Allergy.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such allergy") from None


def statement_get_for(user: Any, patient: Any, statement_id: Any) -> MedicationStatement:
    try:
        return MedicationStatement.objects.select_related("patient__program").get(
            pk=statement_id, patient=patient
        )
    except (MedicationStatement.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such medication") from None


def medication_chart_parts(patient: Any) -> dict[str, Rows]:
    """The chart's reads of medications (allergy line and opioid totals), to be read together
    with its other sections."""
    return {
        "medications_active": Rows(
            MedicationStatement.objects.filter(
                patient_id=patient.pk, status=MedicationStatement.Status.ACTIVE
            ).only(
                "id",
                "patient_id",
                "catalog_key",
                "display",
                "is_opioid",
                "ingredient",
                "needs_pharmacist_review",
                "reviewed_at",
                "dose_amount",
                "doses_per_day",
                "as_needed",
                "route",
                "status",
            )
        ),
        "medications_allergies": Rows(allergy_rows(patient)),
    }


def medication_chart_summary(patient: Any, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chart's line on opioids, for a patient the caller has already been checked for:
    the MME totals with what makes them incomplete, and drugs awaiting a pharmacist (from
    `rows` read with medication_chart_parts, or read here)."""
    if rows is None:
        parts = medication_chart_parts(patient)
        rows = read_together({"medications_active": parts["medications_active"]})
    active = rows["medications_active"]
    return {
        "patient": patient,
        "mme": mme.mme_summary(active),
        "on_opioid": any(s.is_opioid for s in active),
        "pharmacist_review": [s for s in active if s.needs_pharmacist_review and not s.reviewed_at],
    }


def _review_scope_q(user: Any) -> Q:
    """The flagged medications `user` may see on the review list: those of the patients they
    reach and, for a pharmacist, every one of their program (the program's pharmacists
    review what the teams type in, as the discipline queue of the alert worklist works)."""
    if not access.has_perm(user, "medication.view"):
        return Q(pk__in=[])
    scope = access.patient_access_q(user, prefix="patient__")
    if getattr(user, "discipline", "") == Discipline.PHARMACIST:
        scope |= Q(program_id=user.program_id)
    return scope


def _flagged_for(user: Any) -> QuerySet[MedicationStatement]:
    return MedicationStatement.objects.filter(_review_scope_q(user), needs_pharmacist_review=True)


def review_queue_for(user: Any) -> QuerySet[MedicationStatement]:
    """Active medications Pallio did not recognise and nobody has reviewed, oldest first."""
    return (
        _flagged_for(user)
        .filter(reviewed_at__isnull=True, status=MedicationStatement.Status.ACTIVE)
        .order_by("created_at", "id")
    )


def review_page_for(user: Any, page: int) -> Page[Any]:
    """One page of the review list; `reachable` tells whether the user may open the chart."""
    rows = (
        review_queue_for(user)
        .annotate(
            reachable=ExpressionWrapper(
                access.patient_access_q(user, prefix="patient__"), output_field=BooleanField()
            )
        )
        .select_related("patient", "recorded_by")
    )
    result = Paginator(rows, REVIEW_PAGE_SIZE).get_page(page)
    statements = list(result.object_list)
    audit_record(
        actor=user,
        action=Action.READ,
        event="medication.review_list",
        detail={"medications": [str(s.pk) for s in statements]},
    )
    return result


def review_statement_get_for(user: Any, statement_id: Any) -> MedicationStatement:
    """A flagged medication `user` may see on the review list (reviewed or not); 404 for any
    other, so ids leak nothing."""
    try:
        return _flagged_for(user).select_related("patient__program").get(pk=statement_id)
    except (MedicationStatement.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such medication") from None

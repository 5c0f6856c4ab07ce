"""Reads of the medication list, through the patient's access check."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from pallio.medications import mme
from pallio.medications.models import MedicationStatement
from pallio.patients.selectors import patient_get_for

SPECIALIST_KEYS = frozenset({"methadone", "fentanyl-transdermal"})


def medication_list_for(user: Any, patient_id: Any) -> dict[str, Any]:
    patient = patient_get_for(user, patient_id, event="medication.list")
    statements = list(
        MedicationStatement.objects.filter(patient=patient)
        .exclude(status=MedicationStatement.Status.ENTERED_IN_ERROR)
        .select_related("recorded_by")
        .order_by("status", "-is_opioid", "display")
    )
    active = [s for s in statements if s.status == MedicationStatement.Status.ACTIVE]
    summary = mme.mme_summary(active)
    by_statement = {line.statement.pk: line for line in summary.lines}
    rows = [(s, by_statement.get(s.pk)) for s in statements]
    return {
        "patient": patient,
        "rows": rows,
        "mme": summary,
        "pharmacist_review": [s for s in active if s.needs_pharmacist_review],
        "on_opioid": any(s.is_opioid for s in active),
        "bowel_regimen": any(s.is_bowel_regimen for s in active),
        # Methadone and fentanyl need specialist rules when rotating (CLINICAL.md section 6).
        "specialist": [s for s in active if s.catalog_key in SPECIALIST_KEYS],
    }


def statement_get_for(user: Any, patient: Any, statement_id: Any) -> MedicationStatement:
    try:
        return MedicationStatement.objects.select_related("patient__program").get(
            pk=statement_id, patient=patient
        )
    except (MedicationStatement.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such medication") from None


def medication_chart_summary(patient: Any) -> dict[str, Any]:
    """The chart's line on opioids, for a patient the caller has already been checked for:
    the MME totals with what makes them incomplete, and drugs awaiting a pharmacist."""
    active = list(
        MedicationStatement.objects.filter(
            patient=patient, status=MedicationStatement.Status.ACTIVE
        ).only(
            "id",
            "patient_id",
            "catalog_key",
            "display",
            "is_opioid",
            "ingredient",
            "needs_pharmacist_review",
            "dose_amount",
            "doses_per_day",
            "as_needed",
            "route",
            "status",
        )
    )
    return {
        "patient": patient,
        "mme": mme.mme_summary(active),
        "on_opioid": any(s.is_opioid for s in active),
        "pharmacist_review": [s for s in active if s.needs_pharmacist_review],
    }

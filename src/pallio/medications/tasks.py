"""Background checks of the medication list (the bowel-regimen alert, NQF #1617)."""

from __future__ import annotations

from django_tasks import task


def bowel_regimen_check_enqueue(patient_id: str) -> None:
    bowel_regimen_check_task.enqueue(patient_id=patient_id)


@task()
def bowel_regimen_check_task(*, patient_id: str) -> bool:
    """Idempotent: the alert is unique per opioid statement and rule."""
    from pallio.medications.services import bowel_regimen_check
    from pallio.patients.models import Patient

    patient = Patient.objects.select_related("program").filter(pk=patient_id).first()
    if patient is None:
        return False
    return bowel_regimen_check(patient=patient) is not None

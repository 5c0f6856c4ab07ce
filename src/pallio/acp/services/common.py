"""What the advance-care-planning writes share: limits, the stale-record message and the
checks."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from pallio.core import clock
from pallio.patients.models import Patient

TEXT_LIMIT = 4000
MAX_PARTICIPANTS = 20
STALE_MESSAGE = (
    "The {what} was changed by someone else while you were looking at it. "
    "Reload to see the current {what}, then make your change again."
)


# --- checks ---------------------------------------------------------------------------------


def _check_not_future(
    errors: dict[str, list[str]], name: str, value: date | None, today: date
) -> None:
    if value is not None and value > today:
        errors.setdefault(name, []).append("This date cannot be in the future.")


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _today(patient: Patient) -> date:
    return clock.today_in(patient.program.timezone)


def _same_patient(record: Any, patient: Patient) -> None:
    if record is not None and record.patient_id != patient.pk:
        raise ValidationError("That record does not belong to this patient.")


def _save_versioned(record: Any, expected_version: int | None, fields: list[str]) -> None:
    """The version check, then a plain save of the same fields so that the change also
    lands in the record's history (save_versioned writes with a bare UPDATE)."""
    record.save_versioned(expected_version=expected_version, fields=fields)
    record.save(update_fields=[*fields, "version", "updated_at"])


def _lock_patient(patient: Patient) -> None:
    """Serialise changes to one patient's history (PostgreSQL row lock; SQLite writes are
    serialised by its immediate transactions)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True).first()

"""What the care plan and the task-list writes share: the conflict message and the error
helpers."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from pallio.core.validation import Errors

CONFLICT = (
    "This was changed by someone else while you were editing. "
    "Reload to see their change, then make yours again."
)


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


RecordT = TypeVar("RecordT", bound=models.Model)


def _back_to(record: RecordT, current: RecordT) -> RecordT:
    """Give the caller's object the saved state (callers keep using the object they passed)."""
    if record is not current:
        record.refresh_from_db()
    return record

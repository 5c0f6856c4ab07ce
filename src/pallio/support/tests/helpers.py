"""Small builders for the support-line tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pallio.core import clock
from pallio.support import services


def call_input(patient: Any = None, **overrides: Any) -> services.CallInput:
    values: dict[str, Any] = {
        "caller_kind": "caregiver",
        "caller_name": "Ann Anders",
        "callback_number": "617-555-0199",
        "received_at": clock.now() - timedelta(minutes=10),
        "reason": "symptom",
        "story": "Pain is much worse tonight.",
        "patient_id": patient.pk if patient is not None else None,
    }
    values.update(overrides)
    return services.CallInput(**values)


def a_call(actor: Any, patient: Any, **overrides: Any) -> Any:
    return services.call_record(actor=actor, data=call_input(patient, **overrides))

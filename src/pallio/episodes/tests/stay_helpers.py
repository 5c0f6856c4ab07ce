"""Small helpers for tests that need hospital stays."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pallio.episodes import stays
from pallio.episodes.models import HospitalStay


def noon(patient: Any, day: date) -> datetime:
    """Noon of `day` in the patient's program's time zone."""
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(patient.program.timezone))


def a_stay(
    *,
    actor: Any,
    patient: Any,
    admitted_on: date,
    discharged_on: date | None = None,
    facility: str = "Riverside General",
    kind: str = "inpatient",
    reason: str = "",
    disposition: str = "home",
    **more: Any,
) -> HospitalStay:
    """A stay from noon to noon of the days given (program time zone)."""
    return stays.stay_record(
        actor=actor,
        patient=patient,
        kind=kind,
        facility=facility,
        admitted_at=noon(patient, admitted_on),
        reason=reason,
        discharged_at=noon(patient, discharged_on) if discharged_on else None,
        disposition=disposition if discharged_on else "",
        **more,
    )

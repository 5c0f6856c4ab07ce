"""Medication list endpoint of the JSON API: record what a patient takes.

It calls the same service as the page (services.medication_add): the same opioid recognition,
the same refusal of an impossible dose, and the same confirmation of a dose above the
plausible maximum, which here is the `confirm_high_dose_reason` field; without it such a dose
is answered 422 with the reason it is asked for.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, field_validator

from pallio.core import access
from pallio.medications import mme, services
from pallio.medications.models import MedicationStatement
from pallio.patients.selectors import patient_get_for

router = Router()


class Error(Schema):
    detail: Any


class MedicationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    catalog_key: str = Field("", max_length=60, pattern=r"^[a-z0-9-]*$")
    free_text: str = Field("", max_length=200)
    dose_amount: Decimal | None = Field(None, gt=0, max_digits=9, decimal_places=3)
    doses_per_day: Decimal | None = Field(None, gt=0, max_digits=5, decimal_places=2)
    as_needed: bool = False
    route: str = Field("", max_length=40, description="oral, transdermal, subcutaneous, ...")
    started_on: date | None = None
    note: str = Field("", max_length=500)
    confirm_high_dose_reason: str = Field(
        "",
        max_length=services.MAX_REASON,
        description="required for a dose above the plausible maximum; kept with the record",
    )

    @field_validator("free_text", "route", "note", "confirm_high_dose_reason")
    @classmethod
    def _storable_text(cls, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("This field contains a character that is not allowed.") from None
        if "\x00" in value:
            raise ValueError("This field contains a character that is not allowed.")
        return value


class MedicationOut(Schema):
    id: uuid.UUID
    display: str
    code_system: str
    code: str
    is_opioid: bool
    is_bowel_regimen: bool
    needs_pharmacist_review: bool
    dose_amount: Decimal | None
    dose_unit: str
    doses_per_day: Decimal | None
    as_needed: bool
    route: str
    high_dose_reason: str
    daily_mme: Decimal | None
    mme_not_counted: str = Field(description="why the daily MME is not counted, in words")

    @staticmethod
    def resolve_daily_mme(obj: MedicationStatement) -> Decimal | None:
        return mme.daily_mme(obj)

    @staticmethod
    def resolve_mme_not_counted(obj: MedicationStatement) -> str:
        line = mme.statement_mme(obj)
        return line.reason_text if line is not None else ""


@router.post(
    "/patients/{patient_id}/medications",
    response={201: MedicationOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="Add a medication to the patient's list",
)
def medication_create(request: HttpRequest, patient_id: uuid.UUID, payload: MedicationIn) -> Any:
    """Record a medication the patient takes. A dose above the catalogue ingredient's ceiling
    is refused (422); one above its plausible maximum needs `confirm_high_dose_reason` (422
    without it)."""
    user = request.auth  # type: ignore[attr-defined]
    if not access.has_perm(user, "medication.record"):
        raise PermissionDenied("Your role does not allow this.")
    patient = patient_get_for(user, patient_id, event="medication.form")
    data = payload.dict(exclude={"confirm_high_dose_reason"})
    row = services.medication_add(
        actor=user,
        patient=patient,
        data=services.MedicationInput(**data),
        confirm_high_dose_reason=payload.confirm_high_dose_reason,
    )
    return Status(201, row)

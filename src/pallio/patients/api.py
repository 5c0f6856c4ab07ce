"""Patient endpoints of the JSON API: search and the chart summary.

Reads go through the access-checked, audited selectors: a patient the caller may not see
gets the same 404 as one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access
from pallio.patients.models import Patient
from pallio.patients.selectors import patient_chart_for, patient_search_for

router = Router()


class Error(Schema):
    detail: Any


class SearchQuery(Schema):
    q: str = Field("", max_length=100, description="name words or the record number")

    @field_validator("q")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("This field contains a character that is not allowed.")
        return value


class DiagnosisOut(Schema):
    system: str
    code: str
    display: str
    onset_date: date | None
    advanced: bool
    is_primary: bool


class PatientSummaryOut(Schema):
    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    primary_diagnosis: DiagnosisOut | None

    @staticmethod
    def resolve_primary_diagnosis(obj: Patient) -> Any:
        # `conditions` is prefetched (without entries in error) by the search selector.
        conditions = list(obj.conditions.all())
        return next((c for c in conditions if c.is_primary), conditions[0] if conditions else None)


class CoverageOut(Schema):
    payer_type: str
    payer_name: str
    member_id: str
    authorization: str
    authorization_number: str


class CareTeamMemberOut(Schema):
    staff_id: uuid.UUID = Field(description="the staff member's id (User.uuid)")
    name: str
    discipline: str
    is_lead: bool

    @staticmethod
    def resolve_staff_id(obj: Any) -> uuid.UUID:
        return obj.user.uuid

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.user.display_name


class EpisodeOut(Schema):
    id: uuid.UUID
    status: str
    start: datetime
    end: datetime | None
    first_visit_due: date
    referral_id: uuid.UUID | None


class PatientOut(Schema):
    id: uuid.UUID
    mrn: str
    given_name: str
    middle_name: str
    family_name: str
    preferred_name: str
    birth_date: date
    sex: str
    phone: str
    email: str
    address_line: str
    city: str
    state: str
    postal_code: str
    residence: str
    language: str
    deceased_at: datetime | None
    version: int
    diagnoses: list[DiagnosisOut]
    coverage: CoverageOut | None
    care_team: list[CareTeamMemberOut]
    episode: EpisodeOut | None = Field(description="the active episode of care, if any")


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}


def _caller(request: HttpRequest) -> Any:
    """The authenticated staff member (set by the API's authentication)."""
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, perm: str) -> None:
    if not access.has_perm(user, perm):
        raise PermissionDenied("Your role does not allow this.")


@router.get("", response={200: list[PatientSummaryOut], **ERRORS}, summary="Find patients")
def patient_search(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    """Patients the caller may see whose names or record number match `q` (at most 25)."""
    user = _caller(request)
    _require(user, "patient.search")
    text = query.q.strip()
    if not text:
        return []
    results = list(patient_search_for(user, text))
    audit_record(
        actor=user,
        action=Action.READ,
        event="patient.search",
        detail={"results": len(results), "patients": [str(p.pk) for p in results]},
    )
    return results


@router.get("/{patient_id}", response={200: PatientOut, **ERRORS}, summary="A patient")
def patient_detail(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    """The patient with their diagnoses, coverage, care team and active episode."""
    user = _caller(request)
    _require(user, "patient.search")
    chart = patient_chart_for(user, patient_id)
    patient = chart["patient"]
    return {
        **{
            name: getattr(patient, name)
            for name in PatientOut.model_fields
            if name not in ("diagnoses", "coverage", "care_team", "episode")
        },
        "diagnoses": chart["conditions"],
        "coverage": chart["coverage"],
        "care_team": chart["team"],
        "episode": chart["active_episode"],
    }

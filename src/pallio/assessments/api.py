"""Symptom report endpoints of the JSON API: the door the patient and caregiver portal will
use, and staff can use now (portal users do not exist yet, so today a caller is a staff
member with a personal token or a signed-in session).

They call the same service as the staff form (services.report_submit): the same checks,
the same audit row, the same background evaluation of the alert rules. A patient the
caller may not reach gets the same 404 as one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, field_validator

from pallio.assessments import selectors, services
from pallio.assessments.models import Channel, Respondent, SymptomReport
from pallio.audit.services import audit_read
from pallio.core import access
from pallio.core.models import ConflictError
from pallio.patients.selectors import patient_get_for

router = Router()

MAX_ANSWERS = 200


class Error(Schema):
    detail: Any


def _storable(value: Any) -> bool:
    """No NUL byte and no unpaired surrogate, however deep in the answers."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    return True


class SymptomReportIn(Schema):
    """An instrument, answered in full or in part. `answers` is keyed by the instrument's
    item linkIds: numbers for 0-10 items (ESAS-r), answer codes for choice items (PHQ-4:
    LA6568-5 ... LA6571-9). An item left out (or null) is recorded as not answered; the
    report is kept, marked partial, and judged on what was answered."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    instrument: str = Field(max_length=60, examples=["esas-r"])
    answers: dict[str, Any] = Field(max_length=MAX_ANSWERS, examples=[{"pain": 7, "nausea": 2}])
    respondent: Respondent = Field(description="who answered")
    respondent_name: str = Field("", max_length=200)
    channel: Channel = Channel.API
    answered_at: datetime | None = Field(
        None, description="when it was answered, with its time zone; default now"
    )

    @field_validator("instrument", "respondent_name", "answers")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if not _storable(value):
            raise ValueError("This field contains a character that is not allowed.")
        return value

    def to_input(self) -> services.ReportInput:
        return services.ReportInput(
            instrument_key=self.instrument,
            answers=self.answers,
            respondent=str(self.respondent),
            channel=str(self.channel),
            answered_at=self.answered_at,
            respondent_name=self.respondent_name,
        )


class ReportsQuery(Schema):
    instrument: str = Field("", max_length=60, pattern=r"^[a-z0-9-]*$")
    page: int = Field(1, ge=1, le=1_000_000)


class ScoresOut(Schema):
    scales: dict[str, float | None]
    bands: dict[str, str]
    item_values: dict[str, float]
    item_bands: dict[str, str]
    incomplete: list[str] = Field(
        description="scales with an unanswered item: their value is null, never a smaller sum"
    )


class SymptomReportOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    instrument: str
    answers: dict[str, Any]
    scores: ScoresOut
    primary_score: float | None
    respondent: str
    respondent_name: str
    channel: str
    answered_at: datetime
    entered_by: uuid.UUID | None = Field(description="the staff member's id (User.uuid)")
    evaluated: bool = Field(description="whether the alert rules have judged it yet")
    entered_in_error: bool
    partial: bool = Field(description="answered in part: kept and judged on what was answered")
    unanswered: list[str] = Field(description="the required items left blank (linkIds)")

    @staticmethod
    def resolve_instrument(obj: SymptomReport) -> str:
        return obj.instrument_key

    @staticmethod
    def resolve_scores(obj: SymptomReport) -> dict[str, Any]:
        scores = obj.scores or {}
        result = {
            name: scores.get(name, {}) for name in ("scales", "bands", "item_values", "item_bands")
        }
        result["incomplete"] = scores.get("incomplete", [])
        return result

    @staticmethod
    def resolve_entered_by(obj: SymptomReport) -> uuid.UUID | None:
        return obj.entered_by.uuid if obj.entered_by is not None else None

    @staticmethod
    def resolve_evaluated(obj: SymptomReport) -> bool:
        return obj.evaluated_at is not None


class ReportsOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    items: list[SymptomReportOut]


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}


def _caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, perm: str) -> None:
    if not access.has_perm(user, perm):
        raise PermissionDenied("Your role does not allow this.")


def _same_report(report: SymptomReport, data: SymptomReportIn) -> bool:
    return (
        report.instrument_key == data.instrument
        and report.respondent == data.respondent
        and (data.answered_at is None or report.answered_at == data.answered_at)
        and all(
            str(report.answers.get(k)) == str(v)
            for k, v in data.answers.items()
            if v not in (None, "", [])
        )
    )


@router.post(
    "/patients/{patient_id}/symptom-reports",
    response={200: SymptomReportOut, 201: SymptomReportOut, **BODY_ERRORS},
    summary="Submit a symptom report",
)
def symptom_report_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: SymptomReportIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A retry with the same key and body returns the first report (200, "
            "Idempotent-Replayed: true); the same key with another report is refused (409)."
        ),
    ),
) -> Any:
    """Record a completed instrument for the patient. 201 when recorded; its alert rules are
    judged by the background worker right after."""
    user = _caller(request)
    _require(user, "assessment.record")
    patient = patient_get_for(user, patient_id, event="symptom_report.form")
    # Keys are the caller's own: another person's key never returns their report.
    key = f"api:{user.pk}:{idempotency_key}" if idempotency_key else ""
    report, created = services.report_submit(
        actor=user, patient=patient, data=payload.to_input(), idempotency_key=key
    )
    if created:
        return Status(201, report)
    if not _same_report(report, payload):
        raise ConflictError(
            "This Idempotency-Key was already used for a different report. "
            "Send a new key for a new report."
        )
    audit_read(actor=user, patient=patient, target=report, event="symptom_report.read")
    response["Idempotent-Replayed"] = "true"
    return Status(200, report)


@router.get(
    "/patients/{patient_id}/symptom-reports",
    response={200: ReportsOut, **ERRORS},
    summary="A patient's symptom reports",
)
def symptom_report_list(
    request: HttpRequest, patient_id: uuid.UUID, filters: Query[ReportsQuery]
) -> Any:
    """Newest first, 50 a page; `instrument` keeps one instrument's reports."""
    user = _caller(request)
    _require(user, "assessment.view")
    _, page = selectors.symptom_reports_page_for(
        user, patient_id, instrument_key=filters.instrument, page=filters.page
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": selectors.REPORTS_PAGE_SIZE,
        "items": list(page.object_list),
    }

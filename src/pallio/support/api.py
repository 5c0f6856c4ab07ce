"""The 24/7 line in the JSON API: take a call (Idempotency-Key honoured), record its triage,
its callback and its disposition, and read it. The same services as the pages: the same
privileges, checks and audit rows; a call the caller may not see is a 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from pallio.core import access
from pallio.core.idempotency import idempotent_create
from pallio.support import selectors, services
from pallio.support.models import Call, CallerKind, CallReason, Disposition

router = Router()


class Error(Schema):
    detail: Any


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}
KEY_HEADER = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=64,
    pattern=r"^[\x21-\x7e]+$",
    description=(
        "A retry with the same key and body returns the first call (200, "
        "Idempotent-Replayed: true); the same key with another body is refused (409)."
    ),
)


class CallIn(Schema):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    patient_id: uuid.UUID | None = Field(
        None, description="required unless the reason is information"
    )
    caller_kind: CallerKind
    caller_name: str = Field("", max_length=200)
    callback_number: str = Field(max_length=40, examples=["617-555-0199"])
    received_at: datetime = Field(description="when the call came in, with its time zone")
    reason: CallReason
    story: str = Field("", max_length=4000)


class TriageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2_000_000_000)
    protocol: str = Field(max_length=60, examples=["pain"])
    answers: dict[str, str] = Field(default_factory=dict, max_length=50)
    red_flags: list[str] = Field(default_factory=list, max_length=50)
    esas: dict[str, int | None] = Field(
        default_factory=dict, max_length=10, description="ESAS-r items the protocol asks, 0-10"
    )
    respondent: str = Field("", max_length=24)


class CallbackIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2_000_000_000)
    called_back_at: datetime | None = Field(None, description="default now")


class DispositionIn(Schema):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    version: int = Field(ge=1, le=2_000_000_000)
    disposition: Disposition
    disposition_at: datetime | None = Field(None, description="default now")
    note: str = Field("", max_length=2000)


class CallOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID | None
    caller_kind: str
    caller_name: str
    callback_number: str
    received_at: datetime
    reason: str
    story: str
    protocol: str
    triage: dict[str, Any]
    red_flag: bool
    symptom_report_id: uuid.UUID | None
    called_back_at: datetime | None
    disposition: str
    disposition_at: datetime | None
    disposition_note: str
    status: str
    version: int
    minutes_to_callback: float | None
    minutes_to_disposition: float | None

    @staticmethod
    def resolve_protocol(obj: Call) -> str:
        return obj.protocol_key

    @staticmethod
    def resolve_minutes_to_callback(obj: Call) -> float | None:
        span = obj.time_to_callback
        return None if span is None else round(span.total_seconds() / 60, 1)

    @staticmethod
    def resolve_minutes_to_disposition(obj: Call) -> float | None:
        span = obj.time_to_disposition
        return None if span is None else round(span.total_seconds() / 60, 1)


def _caller(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not access.has_perm(user, "support.calls"):
        raise PermissionDenied("Your role does not allow this.")
    return user


@router.post(
    "/calls",
    response={200: CallOut, 201: CallOut, **BODY_ERRORS},
    summary="Record a call to the 24/7 line",
)
def call_create(
    request: HttpRequest,
    response: HttpResponse,
    payload: CallIn,
    idempotency_key: str | None = KEY_HEADER,
) -> Any:
    user = _caller(request)
    data = services.CallInput(
        caller_kind=str(payload.caller_kind),
        caller_name=payload.caller_name,
        callback_number=payload.callback_number,
        received_at=payload.received_at,
        reason=str(payload.reason),
        story=payload.story,
        patient_id=payload.patient_id,
    )
    call, created = idempotent_create(
        user=user,
        scope="call.create",
        key=idempotency_key or "",
        payload=payload.model_dump(mode="json"),
        create=lambda: services.call_record(actor=user, data=data),
    )
    if created:
        return Status(201, call)
    call = selectors.call_get_for(user, call.pk)
    response["Idempotent-Replayed"] = "true"
    return Status(200, call)


@router.get("/calls/{call_id}", response={200: CallOut, **ERRORS}, summary="A call")
def call_detail(request: HttpRequest, call_id: uuid.UUID) -> Any:
    return selectors.call_get_for(_caller(request), call_id)


@router.post(
    "/calls/{call_id}/triage",
    response={200: CallOut, **BODY_ERRORS},
    summary="Record the triage of a call",
)
def call_triage(request: HttpRequest, call_id: uuid.UUID, payload: TriageIn) -> Any:
    user = _caller(request)
    call = selectors.call_get_for(user, call_id, audit=False)
    return services.call_triage_record(
        actor=user,
        call=call,
        expected_version=payload.version,
        data=services.TriageInput(
            protocol_key=payload.protocol,
            answers=payload.answers,
            red_flags=payload.red_flags,
            esas=payload.esas,
            respondent=payload.respondent,
        ),
    )


@router.post(
    "/calls/{call_id}/callback",
    response={200: CallOut, **BODY_ERRORS},
    summary="Record that the caller was called back",
)
def call_callback(request: HttpRequest, call_id: uuid.UUID, payload: CallbackIn) -> Any:
    user = _caller(request)
    call = selectors.call_get_for(user, call_id, audit=False)
    return services.call_callback_record(
        actor=user,
        call=call,
        expected_version=payload.version,
        called_back_at=payload.called_back_at,
    )


@router.post(
    "/calls/{call_id}/disposition",
    response={200: CallOut, **BODY_ERRORS},
    summary="Record a call's disposition (closes it)",
)
def call_disposition(request: HttpRequest, call_id: uuid.UUID, payload: DispositionIn) -> Any:
    user = _caller(request)
    call = selectors.call_get_for(user, call_id, audit=False)
    return services.call_dispose(
        actor=user,
        call=call,
        expected_version=payload.version,
        disposition=str(payload.disposition),
        disposition_at=payload.disposition_at,
        note=payload.note,
    )

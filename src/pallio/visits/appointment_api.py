"""FHIR R4 Appointment: the oncology or radiology system (or an interface engine) tells the
team of a patient's appointment elsewhere, and a client reads them back.

``POST /api/v1/fhir/Appointment`` (``application/fhir+json`` or ``application/json``) records
the appointment through the same service as the patient's schedule page; the answer is the
Appointment as recorded (201, ``Location``; 200 for a repeat with the same
``Idempotency-Key`` and body, ADR 0008), or an OperationOutcome in plain words (400
unreadable, 403 not allowed, 404 patient not reached, 409 key reused, 422 not an
appointment Pallio can take). ``GET /api/v1/fhir/Appointment/<id>`` answers one and
``GET /api/v1/fhir/Appointment?patient=<id>`` a searchset Bundle, only for a patient the
caller reaches (404 else, the same for "no such id"). Every read and write is audited.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import Header, Router

from pallio.audit.models import Action
from pallio.audit.services import audit_read, audit_record
from pallio.core import access
from pallio.core.idempotency import IdempotencyConflict, idempotent_create
from pallio.core.params import NUL_MESSAGE
from pallio.patients.selectors import patient_get_for
from pallio.visits.appointment_fhir import (
    AppointmentProblem,
    from_fhir,
    has_nul,
    operation_outcome,
    patient_id_of,
    to_fhir,
)
from pallio.visits.cadence_models import ExternalAppointment
from pallio.visits.services.cadence import appointment_record

router = Router()
FHIR_JSON = "application/fhir+json"
NO_PATIENT = "No patient of your program by that id that you can reach."


def _outcome(status: int, problems: list[tuple[str, str]], code: str = "invalid") -> HttpResponse:
    return JsonResponse(
        operation_outcome(problems, code=code), status=status, content_type=FHIR_JSON
    )


def _answer(appointment: ExternalAppointment, status: int = 200) -> HttpResponse:
    response = JsonResponse(to_fhir(appointment), status=status, content_type=FHIR_JSON)
    response["ETag"] = f'W/"{appointment.version}"'
    return response


def _create(user: Any, data: dict[str, Any]) -> ExternalAppointment:
    patient = patient_get_for(user, patient_id_of(data), audit=False)
    values = from_fhir(data, patient.program)
    return appointment_record(
        actor=user, patient=patient, source=ExternalAppointment.Source.FHIR, **values
    )


@router.post(
    "",
    summary="Record a patient's appointment elsewhere from a FHIR Appointment",
    response={200: dict, 201: dict, 400: dict, 403: dict, 404: dict, 409: dict, 415: dict},
    openapi_extra={
        "requestBody": {
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
            "required": True,
        }
    },
)
def appointment_create(
    request: HttpRequest, idempotency_key: str = Header("", alias="Idempotency-Key")
) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    if request.content_type not in (FHIR_JSON, "application/json"):
        return _outcome(415, [("", f"Send the Appointment as {FHIR_JSON}.")], "not-supported")
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _outcome(400, [("", "The body is not readable JSON.")], "structure")
    if has_nul(data):
        return _outcome(
            400, [("", "A value contains a null character, which is not allowed.")], "invalid"
        )
    try:
        appointment, created = idempotent_create(
            user=user,
            scope="appointment.create",
            key=idempotency_key,
            payload=data,
            create=lambda: _create(user, data),
        )
    except AppointmentProblem as exc:
        return _outcome(exc.status, exc.problems)
    except Http404:
        return _outcome(404, [("Appointment.participant", NO_PATIENT)], "not-found")
    except PermissionDenied as exc:
        return _outcome(403, [("", str(exc) or "Your role does not allow this.")], "forbidden")
    except IdempotencyConflict as exc:
        return _outcome(409, [("", f"{exc} Send a new key for a new request.")], "conflict")
    except ValidationError as exc:
        problems = (
            [(f"Appointment ({name})", m) for name, ms in exc.message_dict.items() for m in ms]
            if hasattr(exc, "error_dict")
            else [("Appointment", m) for m in exc.messages]
        )
        return _outcome(422, problems)
    response = _answer(appointment, 201 if created else 200)
    response["Location"] = f"{request.path.rstrip('/')}/{appointment.pk}"
    return response


def _may_read(user: Any) -> bool:
    return access.has_perm(user, "visit.view")


def _not_found() -> HttpResponse:
    return _outcome(404, [("", "No appointment by that id that you can reach.")], "not-found")


@router.get(
    "/{appointment_id}",
    summary="Read a patient's appointment elsewhere as a FHIR Appointment",
    response={200: dict, 403: dict, 404: dict},
)
def appointment_read(request: HttpRequest, appointment_id: str) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    if not _may_read(user):
        return _outcome(403, [("", "Your role does not allow reading appointments.")], "forbidden")
    try:
        pk = uuid.UUID(appointment_id)
    except ValueError:
        return _not_found()
    appointment = (
        ExternalAppointment.objects.select_related("patient", "place")
        .filter(pk=pk, program_id=user.program_id)
        .first()
    )
    if (
        appointment is None
        or appointment.patient.entered_in_error
        or not access.can_access_patient(user, appointment.patient)
    ):
        return _not_found()
    audit_read(
        actor=user,
        patient=appointment.patient,
        target=appointment,
        event="external_appointment.read",
    )
    return _answer(appointment)


@router.get(
    "",
    summary="Search a patient's appointments elsewhere as FHIR Appointments",
    response={200: dict, 400: dict, 403: dict, 404: dict},
)
def appointment_search(request: HttpRequest, patient: str = "") -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    if not _may_read(user):
        return _outcome(403, [("", "Your role does not allow reading appointments.")], "forbidden")
    if "\x00" in patient:
        return _outcome(400, [("patient", NUL_MESSAGE)])
    patient_id = patient.removeprefix("Patient/")
    if not patient_id:
        return _outcome(400, [("patient", "Search by patient (patient=<id>).")], "required")
    try:
        found = patient_get_for(user, patient_id, audit=False)
    except Http404:
        return _outcome(404, [("patient", NO_PATIENT)], "not-found")
    rows = list(
        ExternalAppointment.objects.filter(patient=found)
        .select_related("place")
        .order_by("starts_at")[:200]
    )
    audit_record(
        actor=user,
        action=Action.READ,
        event="external_appointment.search",
        patient=found,
        target=found,
        detail={"appointments": len(rows)},
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(rows),
        "entry": [
            {
                "fullUrl": f"{request.path.rstrip('/')}/{row.pk}",
                "resource": to_fhir(row),
                "search": {"mode": "match"},
            }
            for row in rows
        ],
    }
    return JsonResponse(bundle, content_type=FHIR_JSON)

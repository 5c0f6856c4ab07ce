"""FHIR R4 Encounter: a hospital (or an interface engine) tells the team of a stay, and a
client reads the stays back.

``GET /api/v1/fhir/Encounter/<id>`` answers one stay (ETag its version) and
``GET /api/v1/fhir/Encounter?patient=<id>`` a searchset Bundle of the patient's stays, both
only for a patient the caller reaches (404 else, the same for "no such id") and audited.

``POST /api/v1/fhir/Encounter`` with an Encounter (``application/fhir+json`` or
``application/json``) records the stay through the same services as the chart page and the
HL7 ADT listener; the answer is the Encounter as recorded (201, ``Location``), or an
OperationOutcome saying what to fix (400 unreadable, 404 patient not reached, 403 not
allowed, 422 not a stay Pallio can take). Nothing is recorded unless all of it is.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from pallio.core import access
from pallio.core.models import ConflictError
from pallio.episodes.stay_fhir import (
    EncounterProblem,
    operation_outcome,
    stay_from_encounter,
    subject_id,
    to_fhir,
)
from pallio.episodes.stay_selectors import stay_get_by_id_for, stays_of_patient_for
from pallio.patients.selectors import patient_get_for

router = Router()
FHIR_JSON = "application/fhir+json"


def _outcome(status: int, problems: list[tuple[str, str]], code: str = "invalid") -> HttpResponse:
    return JsonResponse(
        operation_outcome(problems, code=code), status=status, content_type=FHIR_JSON
    )


@router.post(
    "",
    summary="Record a hospital stay from a FHIR Encounter",
    response={201: dict, 400: dict, 403: dict, 404: dict, 409: dict, 415: dict, 422: dict},
    openapi_extra={
        "requestBody": {
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
            "required": True,
        }
    },
)
def encounter_create(request: HttpRequest) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    if request.content_type not in (FHIR_JSON, "application/json"):
        return _outcome(415, [("", f"Send the Encounter as {FHIR_JSON}.")], "not-supported")
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _outcome(400, [("", "The body is not readable JSON.")], "structure")
    if not access.has_perm(user, "stay.record"):
        return _outcome(403, [("", "Your role does not allow recording stays.")], "forbidden")
    try:
        patient = patient_get_for(user, subject_id(data), audit=False)
        stay = stay_from_encounter(actor=user, patient=patient, data=data)
    except EncounterProblem as exc:
        return _outcome(exc.status, exc.problems)
    except Http404:
        return _outcome(
            404,
            [("Encounter.subject", "No patient of your program by that id that you can reach.")],
            "not-found",
        )
    except PermissionDenied as exc:
        return _outcome(403, [("", str(exc))], "forbidden")
    except ConflictError as exc:
        return _outcome(409, [("", str(exc))], "conflict")
    except ValidationError as exc:
        problems = (
            [(f"Encounter ({name})", m) for name, ms in exc.message_dict.items() for m in ms]
            if hasattr(exc, "error_dict")
            else [("Encounter", m) for m in exc.messages]
        )
        return _outcome(422, problems)
    stay.refresh_from_db()
    response = JsonResponse(to_fhir(stay), status=201, content_type=FHIR_JSON)
    response["Location"] = f"{request.path.rstrip('/')}/{stay.pk}"
    response["ETag"] = f'W/"{stay.version}"'
    return response


def _not_found() -> HttpResponse:
    return _outcome(404, [("", "No stay by that id that you can reach.")], "not-found")


def _may_read(user: Any) -> bool:
    return access.has_perm(user, "stay.view")


@router.get(
    "/{stay_id}",
    summary="Read a hospital stay as a FHIR Encounter",
    response={200: dict, 403: dict, 404: dict},
)
def encounter_read(request: HttpRequest, stay_id: str) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    if not _may_read(user):
        return _outcome(403, [("", "Your role does not allow reading stays.")], "forbidden")
    try:
        _patient, stay = stay_get_by_id_for(user, stay_id)
    except Http404:
        return _not_found()
    response = JsonResponse(to_fhir(stay), content_type=FHIR_JSON)
    response["ETag"] = f'W/"{stay.version}"'
    return response


@router.get(
    "",
    summary="Search a patient's hospital stays as FHIR Encounters",
    response={200: dict, 400: dict, 403: dict, 404: dict},
)
def encounter_search(request: HttpRequest, patient: str = "") -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    if not _may_read(user):
        return _outcome(403, [("", "Your role does not allow reading stays.")], "forbidden")
    patient_id = patient.removeprefix("Patient/")
    if not patient_id:
        return _outcome(400, [("patient", "Search by patient (patient=<id>).")], "required")
    try:
        _patient, stays = stays_of_patient_for(user, patient_id)
    except Http404:
        return _outcome(
            404,
            [("patient", "No patient of your program by that id that you can reach.")],
            "not-found",
        )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(stays),
        "entry": [
            {
                "fullUrl": f"{request.path.rstrip('/')}/{stay.pk}",
                "resource": to_fhir(stay),
                "search": {"mode": "match"},
            }
            for stay in stays
        ],
    }
    return JsonResponse(bundle, content_type=FHIR_JSON)

"""FHIR R4 Encounter in: a hospital (or an interface engine) tells the team of a stay.

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

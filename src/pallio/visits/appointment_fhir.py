"""A patient's appointments elsewhere as FHIR R4 Appointment: from_fhir (an Appointment the
oncology or radiology system sends) and to_fhir. Validated by fhir.resources (its R4B models
read R4 JSON).

What Pallio reads from an Appointment:

- ``participant[].actor.reference`` ``Patient/<id>``: the patient, one of the caller's
  program they reach.
- ``participant[].actor``: the site, either ``Location/<id>`` of one of the program's
  facilities (a cancer center, a clinic...) or a ``display`` naming it.
- ``start`` and ``end``, with a time zone; the end after the start.
- ``serviceType`` (or ``appointmentType``): a code of Pallio's own
  https://pallio.org/fhir/CodeSystem/external-appointment-kind (infusion, imaging, other),
  else its words ("chemotherapy infusion", "CT scan"...).
- ``status``: ``cancelled`` or ``noshow`` record a cancelled appointment; proposed, pending,
  booked, arrived, fulfilled, checked-in and waitlist a booked one.
- ``description``; ``identifier[0].value``: the sending system's id.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment

from pallio.core.codes import PALLIO
from pallio.core.fhir_outcome import operation_outcome  # noqa: F401  (re-exported)
from pallio.visits.cadence_models import AppointmentKind, ExternalAppointment
from pallio.visits.models import FACILITY_SETTINGS, Place

KIND_SYSTEM = f"{PALLIO}/external-appointment-kind"
TIME_MESSAGE = "Give a date and time with its time zone, e.g. 2026-03-12T09:00:00-04:00."
CANCELLED = {"cancelled", "noshow"}
BOOKED = {"proposed", "pending", "booked", "arrived", "fulfilled", "checked-in", "waitlist"}
INFUSION_WORDS = re.compile(r"infusion|chemo|transfusion", re.IGNORECASE)
IMAGING_WORDS = re.compile(
    r"imaging|radiology|\bct\b|\bmri\b|\bpet\b|x-?ray|scan|ultrasound", re.IGNORECASE
)


class AppointmentProblem(Exception):
    """An Appointment Pallio cannot take: plain sentences, each with the FHIRPath it is
    about (for OperationOutcome.issue.expression)."""

    def __init__(self, problems: list[tuple[str, str]], status: int = 422) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems
        self.status = status


def has_nul(value: Any) -> bool:
    """Whether any text of the resource holds a NUL character (refused, never stored)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def _is_appointment(data: Any) -> None:
    if not isinstance(data, dict) or data.get("resourceType") != "Appointment":
        raise AppointmentProblem([("", "Send one FHIR Appointment resource.")], status=400)


def _references(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for participant in data.get("participant") or []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if isinstance(actor, dict):
            found.append(actor)
    return found


def patient_id_of(data: Any) -> str:
    """The patient id of the participant ``Patient/<id>``; the caller resolves it."""
    _is_appointment(data)
    for actor in _references(data):
        kind, _, ident = str(actor.get("reference") or "").partition("/")
        if kind == "Patient" and ident:
            return ident
    raise AppointmentProblem(
        [("Appointment.participant", "Name the patient as a participant: Patient/<id>.")]
    )


def _validated(data: dict[str, Any]) -> Appointment:
    try:
        return Appointment.model_validate(data)
    except Exception as exc:  # pydantic's ValidationError, one per bad element
        errors = getattr(exc, "errors", None)
        problems = []
        for error in errors() if callable(errors) else []:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            if where in ("start", "end"):
                message = TIME_MESSAGE
            problems.append((f"Appointment.{where}" if where else "Appointment", message))
        raise AppointmentProblem(problems or [("Appointment", str(exc))]) from None


def _kind(resource: Appointment) -> str:
    concepts = list(resource.serviceType or [])
    if resource.appointmentType is not None:
        concepts.append(resource.appointmentType)
    words = []
    for concept in concepts:
        for coding in concept.coding or []:
            if coding.system == KIND_SYSTEM and coding.code in AppointmentKind.values:
                return str(coding.code)
            words.append(coding.display or "")
        words.append(concept.text or "")
    text = " ".join([*words, resource.description or ""])
    if INFUSION_WORDS.search(text):
        return AppointmentKind.INFUSION
    if IMAGING_WORDS.search(text):
        return AppointmentKind.IMAGING
    return AppointmentKind.OTHER


def _site(data: dict[str, Any], program: Any, problems: list[tuple[str, str]]) -> tuple[Any, str]:
    for actor in _references(data):
        kind, _, ident = str(actor.get("reference") or "").partition("/")
        if kind == "Location":
            try:
                pk = uuid.UUID(ident)
            except ValueError:
                pk = None
            place = (
                Place.objects.filter(
                    pk=pk, program_id=program.pk, patient__isnull=True, active=True
                ).first()
                if pk
                else None
            )
            if place is None or place.setting not in FACILITY_SETTINGS:
                problems.append(
                    (
                        "Appointment.participant.actor",
                        "This Location is not one of the program's sites. Name the site in "
                        "actor.display instead.",
                    )
                )
                return None, ""
            return place, ""
        if kind != "Patient" and actor.get("display"):
            return None, str(actor["display"])[:200]
    problems.append(
        ("Appointment.participant", "Name the site: a participant Location with a display.")
    )
    return None, ""


def _moment(value: Any, where: str, problems: list[tuple[str, str]]) -> datetime | None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        problems.append((where, TIME_MESSAGE))
        return None
    return value


def from_fhir(data: dict[str, Any], program: Any) -> dict[str, Any]:
    """The appointment an Appointment describes, checked: kind, site, times, status."""
    _is_appointment(data)
    resource = _validated(data)
    problems: list[tuple[str, str]] = []
    status = str(resource.status or "")
    if status not in CANCELLED | BOOKED:
        problems.append(
            ("Appointment.status", "Pallio records booked or cancelled appointments only.")
        )
    starts = _moment(resource.start, "Appointment.start", problems)
    ends = _moment(resource.end, "Appointment.end", problems)
    if starts is not None and ends is not None and ends <= starts:
        problems.append(("Appointment.end", "The appointment must end after it starts."))
    place, site = _site(data, program, problems)
    if problems:
        raise AppointmentProblem(problems)
    identifier = resource.identifier[0].value if resource.identifier else ""
    return {
        "kind": _kind(resource),
        "place": place,
        "site": site,
        "starts_at": starts,
        "ends_at": ends,
        "description": (resource.description or "")[:300],
        "identifier": (identifier or "")[:64],
        "status": (
            ExternalAppointment.Status.CANCELLED
            if status in CANCELLED
            else ExternalAppointment.Status.BOOKED
        ),
    }


def to_fhir(appointment: ExternalAppointment) -> dict[str, Any]:
    kind = AppointmentKind(appointment.kind)
    site: dict[str, Any] = {"display": appointment.site_name}
    if appointment.place_id:
        site["reference"] = f"Location/{appointment.place_id}"
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "meta": {"versionId": str(appointment.version)},
        "status": appointment.status,
        "serviceType": [
            {
                "coding": [{"system": KIND_SYSTEM, "code": kind.value, "display": kind.label}],
                "text": kind.label,
            }
        ],
        "start": appointment.starts_at.isoformat(),
        "end": appointment.ends_at.isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{appointment.patient_id}"}, "status": "accepted"},
            {"actor": site, "status": "accepted"},
        ],
    }
    if appointment.description:
        resource["description"] = appointment.description
    if appointment.identifier:
        resource["identifier"] = [{"value": appointment.identifier}]
    if appointment.cancel_reason:
        resource["cancelationReason"] = {"text": appointment.cancel_reason}
    return resource

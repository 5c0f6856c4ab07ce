"""Hospital stays as FHIR R4 Encounter: from_fhir (an Encounter the hospital sends) and
to_fhir (a stay as Encounter). Validation by fhir.resources (its R4B models read R4 JSON).

What Pallio reads from an Encounter:

- ``class``: v3-ActCode EMER (emergency department visit), IMP / ACUTE / NONAC (inpatient
  admission) or OBSENC (observation stay).
- ``subject``: ``Patient/<id>``, a patient of the caller's program they reach.
- ``period.start`` (admission) and, when over, ``period.end`` (discharge); with a time zone.
- ``hospitalization.dischargeDisposition``: a code of
  http://terminology.hl7.org/CodeSystem/discharge-disposition, or one of Pallio's own
  dispositions (https://pallio.org/fhir/CodeSystem/stay-disposition). Needed when
  ``period.end`` is given.
- ``serviceProvider.display``: the hospital (else the first location's name).
- ``location[]``: the units, in the order of their ``period.start``; a unit is intensive care
  when its ``physicalType`` carries a v3-RoleCode intensive-care code (ICU, CCU, PEDICU...).
- ``identifier[0].value``: the hospital's visit number.
- ``reasonCode[0].text`` (or its first coding's display): the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from fhir.resources.R4B.encounter import Encounter

from pallio.core.codes import PALLIO
from pallio.core.fhir_outcome import operation_outcome  # noqa: F401  (re-exported)
from pallio.episodes import stays
from pallio.episodes.models import HospitalStay, StayDisposition, StayKind

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
DISPOSITION_SYSTEM = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
PALLIO_DISPOSITION = f"{PALLIO}/stay-disposition"

CLASS_TO_KIND = {
    "EMER": StayKind.EMERGENCY,
    "IMP": StayKind.INPATIENT,
    "ACUTE": StayKind.INPATIENT,
    "NONAC": StayKind.INPATIENT,
    "OBSENC": StayKind.OBSERVATION,
}
KIND_TO_CLASS = {
    StayKind.EMERGENCY: ("EMER", "emergency"),
    StayKind.INPATIENT: ("IMP", "inpatient encounter"),
    StayKind.OBSERVATION: ("OBSENC", "observation encounter"),
}
# HL7 discharge-disposition codes and the Pallio disposition each becomes.
DISPOSITIONS = {
    "home": StayDisposition.HOME,
    "alt-home": StayDisposition.HOME,
    "snf": StayDisposition.NURSING_FACILITY,
    "long": StayDisposition.NURSING_FACILITY,
    "exp": StayDisposition.DIED,
    "aadvice": StayDisposition.AGAINST_ADVICE,
    "other-hcf": StayDisposition.OTHER,
    "hosp": StayDisposition.OTHER,
    "rehab": StayDisposition.OTHER,
    "psy": StayDisposition.OTHER,
    "oth": StayDisposition.OTHER,
}
INTENSIVE_CARE = {"ICU", "CCU", "PEDICU", "PEDNICU", "NCCU", "SICU", "MICU", "CVICU", "BICU"}


class EncounterProblem(Exception):
    """An Encounter Pallio cannot take: `problems` are plain sentences, `where` the FHIRPath
    of each (for OperationOutcome.issue.expression)."""

    def __init__(self, problems: list[tuple[str, str]], status: int = 422) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems
        self.status = status


def _validated(data: Any) -> Encounter:
    if not isinstance(data, dict) or data.get("resourceType") != "Encounter":
        raise EncounterProblem([("", "Send one FHIR Encounter resource.")], status=400)
    try:
        return Encounter.model_validate(data)
    except Exception as exc:  # pydantic's ValidationError, one per bad element
        errors = getattr(exc, "errors", None)
        problems = []
        for error in errors() if callable(errors) else []:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
            problems.append((f"Encounter.{where}" if where else "Encounter", error.get("msg", "")))
        raise EncounterProblem(problems or [("Encounter", str(exc))]) from None


def _codes(concept: Any) -> list[tuple[str, str]]:
    return [(c.system or "", c.code or "") for c in (getattr(concept, "coding", None) or [])]


def subject_id(data: Any) -> str:
    """The patient id of ``subject.reference`` ("Patient/<id>"); the caller resolves it."""
    if not isinstance(data, dict) or data.get("resourceType") != "Encounter":
        raise EncounterProblem([("", "Send one FHIR Encounter resource.")], status=400)
    reference = (data.get("subject") or {}).get("reference") or ""
    kind, _, ident = str(reference).partition("/")
    if kind != "Patient" or not ident:
        raise EncounterProblem(
            [("Encounter.subject", "Give the patient as subject.reference Patient/<id>.")]
        )
    return ident


def _moment(value: Any, where: str, problems: list[tuple[str, str]]) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        problems.append((where, "Give a date and time with its time zone (e.g. +00:00)."))
        return None
    return value


def from_fhir(data: dict[str, Any]) -> dict[str, Any]:
    """The stay an Encounter describes, checked: kind, times, places, disposition."""
    encounter = _validated(data)
    problems: list[tuple[str, str]] = []
    klass = encounter.class_fhir
    kind = (
        CLASS_TO_KIND.get(klass.code or "") if klass and klass.system in (ACT_CODE, None) else None
    )
    if kind is None:
        problems.append(
            ("Encounter.class", "Use class EMER, IMP or OBSENC (v3-ActCode) for a hospital stay.")
        )
    period = encounter.period
    start = _moment(period.start if period else None, "Encounter.period.start", problems)
    if start is None and not any(w == "Encounter.period.start" for w, _ in problems):
        problems.append(("Encounter.period.start", "Give when the stay began (period.start)."))
    end = _moment(period.end if period else None, "Encounter.period.end", problems)
    disposition = ""
    concept = encounter.hospitalization.dischargeDisposition if encounter.hospitalization else None
    for system, code in _codes(concept):
        if system == DISPOSITION_SYSTEM and code in DISPOSITIONS:
            disposition = DISPOSITIONS[code]
        elif system == PALLIO_DISPOSITION and code in StayDisposition.values:
            disposition = code
    if concept is not None and not disposition:
        problems.append(
            (
                "Encounter.hospitalization.dischargeDisposition",
                "Use a code of the HL7 discharge-disposition code system.",
            )
        )
    if end is not None and not disposition and concept is None:
        problems.append(
            (
                "Encounter.hospitalization.dischargeDisposition",
                "Say where the person went when the stay ended.",
            )
        )
    units = []
    for n, entry in enumerate(encounter.location or []):
        name = (entry.location.display or "") if entry.location else ""
        icu = any(
            system == ROLE_CODE and code in INTENSIVE_CARE
            for system, code in _codes(entry.physicalType)
        )
        at = _moment(
            entry.period.start if entry.period else None,
            f"Encounter.location[{n}].period.start",
            problems,
        )
        units.append((at, name, icu))
    facility = (encounter.serviceProvider.display or "") if encounter.serviceProvider else ""
    if not facility and units:
        facility = units[0][1]
    if not facility:
        problems.append(
            ("Encounter.serviceProvider", "Name the hospital (serviceProvider.display).")
        )
    reason = ""
    if encounter.reasonCode:
        first = encounter.reasonCode[0]
        reason = first.text or next((c.display for c in first.coding or [] if c.display), "") or ""
    visit_number = ""
    if encounter.identifier:
        visit_number = encounter.identifier[0].value or ""
    if problems:
        raise EncounterProblem(problems)
    assert start is not None  # a missing start is one of the problems above
    units.sort(key=lambda unit: unit[0] or start)
    return {
        "kind": kind,
        "admitted_at": start,
        "discharged_at": end,
        "disposition": disposition,
        "facility": facility,
        "units": units,
        "reason": reason[:300],
        "visit_number": visit_number[:64],
    }


@transaction.atomic
def stay_from_encounter(*, actor: Any, patient: Any, data: dict[str, Any]) -> HospitalStay:
    """Record the stay an Encounter describes, all of it or nothing."""
    found = from_fhir(data)
    units = found["units"]
    first_unit, first_icu = (units[0][1], units[0][2]) if units else ("", False)
    stay = stays.stay_admit(
        actor=actor,
        patient=patient,
        kind=found["kind"],
        facility=found["facility"],
        admitted_at=found["admitted_at"],
        unit=first_unit if first_unit != found["facility"] else "",
        icu=first_icu,
        reason=found["reason"],
        source="fhir",
        visit_number=found["visit_number"],
    )
    for at, name, icu in units[1:]:
        if at is None:
            raise ValidationError({"location": ["Give each later unit its period.start."]})
        stay = stays.stay_transfer(actor=actor, stay=stay, unit=name, icu=icu, at=at)
    if found["discharged_at"] is not None:
        stay = stays.stay_discharge(
            actor=actor,
            stay=stay,
            discharged_at=found["discharged_at"],
            disposition=found["disposition"],
        )
    return stay


def to_fhir(stay: HospitalStay) -> dict[str, Any]:
    """The stay as an R4 Encounter."""
    code, display = KIND_TO_CLASS[StayKind(stay.kind)]
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(stay.pk),
        "meta": {"versionId": str(stay.version)},
        "status": "entered-in-error"
        if stay.entered_in_error
        else ("in-progress" if stay.is_open else "finished"),
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "subject": {"reference": f"Patient/{stay.patient_id}"},
        "period": {
            "start": stay.admitted_at.isoformat(),
            **({"end": stay.discharged_at.isoformat()} if stay.discharged_at else {}),
        },
        "serviceProvider": {"display": stay.facility},
        "location": [
            {
                "location": {"display": m.unit or stay.facility},
                "status": "active" if m.ended_at is None else "completed",
                "period": {
                    "start": m.started_at.isoformat(),
                    **({"end": m.ended_at.isoformat()} if m.ended_at else {}),
                },
                **(
                    {"physicalType": {"coding": [{"system": ROLE_CODE, "code": "ICU"}]}}
                    if m.is_icu
                    else {}
                ),
            }
            for m in stay.movements.all()
        ],
    }
    if stay.visit_number:
        resource["identifier"] = [{"value": stay.visit_number}]
    if stay.reason:
        resource["reasonCode"] = [{"text": stay.reason}]
    if stay.disposition:
        resource["hospitalization"] = {
            "dischargeDisposition": {
                "coding": [
                    {
                        "system": PALLIO_DISPOSITION,
                        "code": stay.disposition,
                        "display": stay.get_disposition_display(),
                    }
                ]
            }
        }
    return resource

"""Which patient an ADT message is about, by the rules used for referrals
(patients/matching.py through `duplicate_candidates`: name with its variants, date of birth
with its usual slips, phone), plus the record number.

A message is applied without a person looking only when the patient is certain:
- the record number (PID-3) is a patient's of the program and the name and date of birth in
  the message agree with that patient by the matching rules, or
- no record number matches, and exactly one patient has the same name and date of birth.
Anything else (a near match, two possible patients, a record number whose name disagrees)
waits in the review queue with the candidates listed. Nothing is created or merged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pallio.patients import matching
from pallio.patients.models import Patient
from pallio.patients.selectors import duplicate_candidates

from .hl7v2 import AdtEvent


@dataclass
class PatientMatch:
    patient: Patient | None
    # Why the patient was matched, or why nobody was (plain words for the queue).
    reason: str
    candidates: list[tuple[Patient, Any]] = field(default_factory=list)


def _same_person_exactly(event: AdtEvent, patient: Patient) -> bool:
    return (
        matching.normalize_name(event.given_name) == matching.normalize_name(patient.given_name)
        and matching.normalize_name(event.family_name)
        == matching.normalize_name(patient.family_name)
        and event.birth_date == patient.birth_date
    )


def _probe(event: AdtEvent) -> matching.Person:
    return matching.Person(
        event.given_name,
        event.family_name,
        event.birth_date,
        event.phone,
        middle_name=event.middle_name,
        sex=event.sex,
    )


def candidates_for(
    *, program_id: Any, event: AdtEvent, limit: int = 5
) -> list[tuple[Patient, Any]]:
    return duplicate_candidates(
        program_id=program_id,
        given_name=event.given_name,
        family_name=event.family_name,
        birth_date=event.birth_date,
        phone=event.phone,
        sex=event.sex,
        limit=limit,
    )


def adt_patient_match(*, program_id: Any, event: AdtEvent) -> PatientMatch:
    numbers = event.record_numbers
    by_number = (
        list(
            Patient.objects.filter(program_id=program_id, mrn__in=numbers, entered_in_error=False)[
                :3
            ]
        )
        if numbers
        else []
    )
    if len(by_number) == 1:
        patient = by_number[0]
        result = matching.match(
            _probe(event),
            matching.Person(
                patient.given_name,
                patient.family_name,
                patient.birth_date,
                patient.phone,
                middle_name=patient.middle_name,
                sex=patient.sex,
            ),
        )
        if result.score >= matching.MATCH_THRESHOLD:
            return PatientMatch(patient, "record number, name and date of birth agree")
        return PatientMatch(
            None,
            f"record number {patient.mrn} belongs to a patient whose name or date of birth "
            "differ from the message",
            [(patient, result)],
        )
    if len(by_number) > 1:
        return PatientMatch(None, "the message's identifiers name more than one patient")
    candidates = candidates_for(program_id=program_id, event=event)
    exact = [p for p, _ in candidates if _same_person_exactly(event, p)]
    if len(exact) == 1 and len(candidates) == 1:
        return PatientMatch(exact[0], "same name and date of birth", candidates)
    if not candidates:
        return PatientMatch(None, "no patient of the program matches the message")
    if len(candidates) == 1:
        return PatientMatch(None, "one possible patient, not certain: please check", candidates)
    return PatientMatch(None, f"{len(candidates)} possible patients: please choose", candidates)

"""Applying an ADT event to a matched patient through the hospital-stay services
(episodes/stays.py), which record the stay; for an enrolled patient, the admission reaches
the care team through them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from pallio.core.models import ConflictError
from pallio.episodes import stays
from pallio.episodes.models import HospitalStay, StayDisposition, StaySource

from .hl7v2 import STAY_KIND_WORDS, AdtEvent

# PV1-36 (UB-04 patient discharge status, see hl7v2.DISPOSITIONS) -> where the person went.
DISPOSITION_OF_CODE = {
    "01": StayDisposition.HOME,
    "06": StayDisposition.HOME_WITH_SERVICES,
    "03": StayDisposition.NURSING_FACILITY,
    "04": StayDisposition.NURSING_FACILITY,
    "61": StayDisposition.NURSING_FACILITY,
    "64": StayDisposition.NURSING_FACILITY,
    "50": StayDisposition.HOSPICE,
    "51": StayDisposition.HOSPICE,
    "20": StayDisposition.DIED,
    "07": StayDisposition.AGAINST_ADVICE,
}


class AdtApplyError(Exception):
    """The event does not fit the patient's record (a discharge with no open stay...)."""


def _where(event: AdtEvent) -> str:
    unit = f"unit {event.unit}{' (intensive care)' if event.icu else ''}" if event.unit else ""
    return ", ".join(p for p in (unit, event.facility) if p)


def _words(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def event_apply(*, actor: Any, patient: Any, event: AdtEvent) -> str:
    """Apply `event` to `patient`; what was done, in plain words. AdtApplyError, with
    nothing changed, when it does not fit."""
    try:
        return _apply(actor=actor, patient=patient, event=event)
    except (ValidationError, ConflictError) as exc:
        words = _words(exc) if isinstance(exc, ValidationError) else str(exc)
        raise AdtApplyError(words) from None


def _open_stay(patient: Any, event: AdtEvent) -> HospitalStay | None:
    """The open stay the message is about: the one with its visit number, else an open stay
    recorded without one (by staff, before the hospital's message)."""
    if event.visit_number:
        stay = stays.stay_find_open(patient=patient, visit_number=event.visit_number)
        if stay is not None:
            return stay
    stay = stays.stay_find_open(patient=patient)
    if stay is not None and event.visit_number and stay.visit_number:
        return None  # another visit's stay
    return stay


def _follow(actor: Any, stay: HospitalStay, event: AdtEvent) -> list[str]:
    """Bring an open stay to what the message says: its kind, and its unit by a transfer."""
    done = []
    if event.stay_kind != stay.kind:
        stay = stays.stay_update(actor=actor, stay=stay, kind=event.stay_kind)
        done.append(f"now {STAY_KIND_WORDS[event.stay_kind]}")
    if event.unit and (event.unit != stay.unit or event.icu != stay.icu):
        stays.stay_transfer(
            actor=actor, stay=stay, unit=event.unit, icu=event.icu, at=event.event_at
        )
        done.append(f"moved to {_where(event)}")
    return done


def _apply(*, actor: Any, patient: Any, event: AdtEvent) -> str:
    open_stay = _open_stay(patient, event)
    kind_words = STAY_KIND_WORDS[event.stay_kind]
    if event.trigger in ("A01", "A04"):
        if open_stay is not None:
            done = _follow(actor, open_stay, event)
            return "Already in hospital: " + ("; ".join(done) if done else "nothing new") + "."
        stays.stay_admit(
            actor=actor,
            patient=patient,
            kind=event.stay_kind,
            facility=event.facility or "Hospital not named",
            admitted_at=event.admitted_at or event.event_at,
            unit=event.unit,
            icu=event.icu,
            source=StaySource.HL7_ADT,
            visit_number=event.visit_number,
        )
        return f"Admitted ({kind_words}) to {_where(event) or 'hospital'}."
    if open_stay is None:
        verb = {"A02": "transfer", "A03": "discharge", "A08": "update"}[event.trigger]
        raise AdtApplyError(
            f"There is no open hospital stay to {verb} for this patient: "
            "the admission has not been received."
        )
    if event.trigger == "A02":
        stays.stay_transfer(
            actor=actor, stay=open_stay, unit=event.unit, icu=event.icu, at=event.event_at
        )
        return f"Transferred to {_where(event) or 'another unit'}."
    if event.trigger == "A03":
        stays.stay_discharge(
            actor=actor,
            stay=open_stay,
            discharged_at=event.discharged_at or event.event_at,
            disposition=DISPOSITION_OF_CODE.get(event.disposition_code, StayDisposition.OTHER),
        )
        return f"Discharged{' to ' + event.disposition if event.disposition else ''}."
    done = _follow(actor, open_stay, event)
    return "Stay updated: " + ("; ".join(done) if done else "nothing new") + "."

"""Applying an ADT event to a matched patient through the hospital-stay services
(episodes/stays.py), which record the stay and, for an enrolled patient's admission, tell
the care team at once."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.core.exceptions import ValidationError

from .hl7v2 import STAY_KIND_WORDS, AdtEvent


class AdtApplyError(Exception):
    """The event does not fit the patient's record (a discharge with no open stay...)."""


def _where(event: AdtEvent) -> str:
    unit = f"{event.unit} ({'intensive care' if event.icu else 'ward'})" if event.unit else ""
    return ", ".join(p for p in (unit, event.facility) if p)


def _errors(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def event_apply(*, actor: Any, patient: Any, event: AdtEvent) -> str:
    """Apply `event` to `patient`; what was done, in plain words."""
    try:
        return _apply(actor=actor, patient=patient, event=event)
    except ValidationError as exc:
        raise AdtApplyError(_errors(exc)) from None


def _apply(*, actor: Any, patient: Any, event: AdtEvent) -> str:
    stays: Any = import_module("pallio.episodes.stays")

    open_stay = stays.stay_find_open(patient=patient, visit_number=event.visit_number)
    kind_words = STAY_KIND_WORDS[event.stay_kind]
    if event.trigger in ("A01", "A04"):
        if open_stay is not None:
            stays.stay_update(
                actor=actor, stay=open_stay, unit=event.unit, icu=event.icu, kind=event.stay_kind
            )
            return f"Already admitted: the open stay was updated ({_where(event)})."
        stays.stay_admit(
            actor=actor,
            patient=patient,
            kind=event.stay_kind,
            facility=event.facility,
            admitted_at=event.admitted_at or event.event_at,
            unit=event.unit,
            icu=event.icu,
            source="hl7",
            visit_number=event.visit_number,
        )
        return f"Admitted ({kind_words}) to {_where(event) or 'the hospital'}."
    if open_stay is None:
        verb = {"A02": "transfer", "A03": "discharge", "A08": "update"}[event.trigger]
        raise AdtApplyError(
            f"There is no open hospital stay to {verb}: the admission has not been received."
        )
    if event.trigger == "A02":
        stays.stay_transfer(
            actor=actor, stay=open_stay, unit=event.unit, icu=event.icu, at=event.event_at
        )
        return f"Transferred to {_where(event)}."
    if event.trigger == "A03":
        stays.stay_discharge(
            actor=actor,
            stay=open_stay,
            discharged_at=event.discharged_at or event.event_at,
            disposition=event.disposition,
        )
        return f"Discharged{' to ' + event.disposition if event.disposition else ''}."
    stays.stay_update(
        actor=actor, stay=open_stay, unit=event.unit, icu=event.icu, kind=event.stay_kind
    )
    return f"Stay updated ({_where(event)})."

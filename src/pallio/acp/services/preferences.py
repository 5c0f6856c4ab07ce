"""Treatment and place-of-care preferences."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from pallio.acp.models import (
    Place,
    PlacePreference,
    TreatmentCategory,
    TreatmentChoice,
    TreatmentPreference,
)
from pallio.acp.services.common import (
    STALE_MESSAGE,
    _check_not_future,
    _lock_patient,
    _raise,
    _save_versioned,
    _today,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core.models import ConflictError
from pallio.core.validation import check_choice, check_text
from pallio.patients.models import Patient

# --- preferences ----------------------------------------------------------------------------


@transaction.atomic
def treatment_preference_set(
    *,
    actor: Any,
    patient: Patient,
    category: str,
    choice: str,
    stated_on: date,
    note: str = "",
    expected_version: int | None,
) -> TreatmentPreference:
    """Record or change one treatment preference; each change keeps its predecessor in the
    history. `expected_version` is None for a first entry."""
    errors: dict[str, list[str]] = {}
    check_choice(errors, "category", category, TreatmentCategory.values)
    check_choice(errors, "choice", choice, TreatmentChoice.values)
    check_text(errors, "note", note, 500)
    if not isinstance(stated_on, date):
        errors.setdefault("stated_on", []).append("Enter when the person said this.")
    else:
        _check_not_future(errors, "stated_on", stated_on, _today(patient))
    _raise(errors)
    _lock_patient(patient)
    existing = TreatmentPreference.objects.filter(patient=patient, category=category).first()
    if existing is None:
        if expected_version is not None:
            raise ConflictError(STALE_MESSAGE.format(what="treatment preference"))
        preference = TreatmentPreference.objects.create(
            program_id=patient.program_id,
            patient=patient,
            category=category,
            choice=choice,
            note=note.strip(),
            stated_on=stated_on,
            recorded_by=actor,
        )
        action = Action.CREATE
    else:
        if expected_version is None:
            raise ConflictError(STALE_MESSAGE.format(what="treatment preference"))
        preference = existing
        preference.choice = choice
        preference.note = note.strip()
        preference.stated_on = stated_on
        preference.recorded_by = actor
        _save_versioned(
            preference, expected_version, ["choice", "note", "stated_on", "recorded_by"]
        )
        action = Action.UPDATE
    audit_record(
        actor=actor,
        action=action,
        event="acp.treatment_preference.set",
        patient=patient,
        target=preference,
        detail={"category": category, "choice": choice},
    )
    return preference


@transaction.atomic
def place_preference_set(
    *,
    actor: Any,
    patient: Patient,
    place_of_care: str,
    place_of_death: str,
    other_detail: str = "",
    support_plan: str = "",
    expected_version: int | None,
) -> PlacePreference:
    errors: dict[str, list[str]] = {}
    for name, value in (("place_of_care", place_of_care), ("place_of_death", place_of_death)):
        if value:
            check_choice(errors, name, value, Place.values)
    check_text(errors, "other_detail", other_detail, 200)
    check_text(errors, "support_plan", support_plan, 2000)
    if Place.OTHER in (place_of_care, place_of_death) and not other_detail.strip():
        errors.setdefault("other_detail", []).append("Say which other place.")
    _raise(errors)
    _lock_patient(patient)
    existing = PlacePreference.objects.filter(patient=patient).first()
    values = {
        "place_of_care": place_of_care,
        "place_of_death": place_of_death,
        "other_detail": other_detail.strip(),
        "support_plan": support_plan.strip(),
        "recorded_by": actor,
    }
    if existing is None:
        if expected_version is not None:
            raise ConflictError(STALE_MESSAGE.format(what="place preference"))
        preference = PlacePreference.objects.create(
            program_id=patient.program_id, patient=patient, **values
        )
        action = Action.CREATE
    else:
        if expected_version is None:
            raise ConflictError(STALE_MESSAGE.format(what="place preference"))
        preference = existing
        for name, value in values.items():
            setattr(preference, name, value)
        _save_versioned(preference, expected_version, list(values))
        action = Action.UPDATE
    audit_record(
        actor=actor,
        action=action,
        event="acp.place_preference.set",
        patient=patient,
        target=preference,
    )
    return preference

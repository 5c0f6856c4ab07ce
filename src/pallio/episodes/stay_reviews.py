"""Care in hospital that differed from the person's recorded wishes: a prompt to talk.

Intensive care, intubation, CPR or a death in hospital are compared with what the record
says the person wanted (acp: code status, the current portable medical order, treatment
preferences, the preferred place of death, the latest signed goals-of-care focus). Where it
says otherwise, a StayReview is raised for the team. The wording is a question, never an
accusation: emergencies happen, wishes change, and families decide under pressure; the
review is where the team talks it over and writes what it concluded.

The advance care planning records are read by name (``apps.get_model``) because acp sits
above episodes: it records stays through episodes, so episodes does not import it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_text
from pallio.episodes.models import HospitalStay, StayDisposition, StayReview, StayReviewReason

NOTE_LIMIT = 2000


def _day(value: Any) -> str:
    return f"{value:%-d %b %Y}" if value else ""


def _recorded_wishes(patient: Any) -> dict[str, Any]:
    """What the record says now, in five small reads."""
    code_status = (
        apps.get_model("acp", "CodeStatus")
        .objects.filter(patient=patient, entered_in_error=False)
        .order_by("-created_at", "-id")
        .first()
    )
    order = (
        apps.get_model("acp", "PortableOrder")
        .objects.filter(patient=patient, entered_in_error=False, superseded_by__isnull=True)
        .order_by("-version_number")
        .first()
    )
    preferences = {
        p.category: p
        for p in apps.get_model("acp", "TreatmentPreference").objects.filter(patient=patient)
    }
    place = apps.get_model("acp", "PlacePreference").objects.filter(patient=patient).first()
    conversation = (
        apps.get_model("acp", "GoalsOfCareConversation")
        .objects.filter(patient=patient, status="signed", entered_in_error=False)
        .order_by("-held_at")
        .first()
    )
    return {
        "code_status": code_status,
        "order": order,
        "preferences": preferences,
        "place": place,
        "conversation": conversation,
    }


def _code_status(wishes: dict[str, Any], values: set[str]) -> list[str]:
    status = wishes["code_status"]
    if status is None or status.status not in values:
        return []
    return [f"Code status {status.get_status_display()} (from {_day(status.effective_date)})"]


def _order(wishes: dict[str, Any], *, cpr: bool = False, interventions: set[str]) -> list[str]:
    order = wishes["order"]
    if order is None:
        return []
    found = []
    if cpr and order.cpr == "do_not_attempt":
        found.append(f"{order.form_type} of {_day(order.effective_date)}: do not attempt CPR")
    if order.medical_interventions in interventions:
        found.append(
            f"{order.form_type} of {_day(order.effective_date)}: "
            f"{order.get_medical_interventions_display().lower()}"
        )
    return found


def _preference(wishes: dict[str, Any], category: str, what: str) -> list[str]:
    preference = wishes["preferences"].get(category)
    if preference is None or preference.choice != "does_not_want":
        return []
    return [f"Said they did not want {what} (on {_day(preference.stated_on)})"]


def _comfort_goal(wishes: dict[str, Any]) -> list[str]:
    conversation = wishes["conversation"]
    if conversation is None or conversation.goal_focus != "comfort-focused":
        return []
    return [f"Chose comfort-focused care in the conversation of {_day(conversation.held_at)}"]


def wishes_differing(patient: Any, reason: str) -> list[str]:
    """The recorded wishes that speak against what happened, in plain words; empty when
    none does."""
    wishes = _recorded_wishes(patient)
    if reason == StayReviewReason.ICU:
        # POLST selective treatment: "generally avoid the intensive care unit"; comfort-focused
        # treatment avoids hospital unless comfort needs cannot be met otherwise.
        return [
            *_code_status(wishes, {"comfort_focused"}),
            *_order(wishes, interventions={"selective", "comfort"}),
            *_comfort_goal(wishes),
        ]
    if reason == StayReviewReason.INTUBATION:
        return [
            *_code_status(wishes, {"dnr_dni", "comfort_focused"}),
            *_order(wishes, interventions={"selective", "comfort"}),
            *_preference(wishes, "ventilation", "mechanical ventilation"),
        ]
    if reason == StayReviewReason.CPR:
        return [
            *_code_status(wishes, {"dnr", "dnr_dni", "comfort_focused"}),
            *_order(wishes, cpr=True, interventions=set()),
            *_preference(wishes, "resuscitation", "CPR"),
        ]
    if reason == StayReviewReason.HOSPITAL_DEATH:
        place = wishes["place"]
        if place is None or not place.place_of_death or place.place_of_death == "hospital":
            return []
        return [f"Preferred to die at: {place.get_place_of_death_display().lower()}"]
    return []


def reasons_of(stay: HospitalStay) -> list[str]:
    """What happened on the stay that recorded wishes may speak to."""
    found = []
    if stay.icu or stay.movements.filter(is_icu=True).exists():
        found.append(StayReviewReason.ICU)
    if stay.intubated:
        found.append(StayReviewReason.INTUBATION)
    if stay.cpr_performed:
        found.append(StayReviewReason.CPR)
    if stay.disposition == StayDisposition.DIED:
        found.append(StayReviewReason.HOSPITAL_DEATH)
    return [str(r) for r in found]


def stay_reviews_raise(*, actor: Any, stay: HospitalStay) -> list[StayReview]:
    """Raise a review for each thing on the stay that the recorded wishes speak against;
    once per stay and reason. Called by the stay services after every change."""
    if stay.entered_in_error:
        return []
    raised = []
    existing = set(stay.reviews.values_list("reason", flat=True))
    for reason in reasons_of(stay):
        if reason in existing:
            continue
        wishes = wishes_differing(stay.patient, reason)
        if not wishes:
            continue
        review = StayReview.objects.create(
            program_id=stay.program_id,
            patient_id=stay.patient_id,
            stay=stay,
            reason=reason,
            wishes="; ".join(wishes)[:500],
            raised_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="stay.review.raise",
            patient=stay.patient,
            target=review,
            detail={"reason": reason},
        )
        raised.append(review)
    return raised


@transaction.atomic
def stay_review_record(*, actor: Any, review: StayReview, note: str) -> StayReview:
    """The team talked it over: who, when, and what they concluded."""
    privilege_check(actor, "stay_review.record")
    if actor.program_id != review.program_id:
        raise ValidationError("This review belongs to another program; nothing was recorded.")
    review = StayReview.objects.select_for_update().get(pk=review.pk)
    if review.reviewed_at is not None:
        who = review.reviewed_by.display_name if review.reviewed_by else "someone"
        raise ValidationError(f"{who} already recorded this review; reload to read it.")
    errors: Errors = {}
    check_text(errors, "note", note, NOTE_LIMIT, required=True)
    if errors:
        raise ValidationError(errors)
    review.reviewed_at = clock.now()
    review.reviewed_by = actor
    review.note = note.strip()
    review.updated_at = review.reviewed_at
    review.save(update_fields=["reviewed_at", "reviewed_by", "note", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="stay.review.record",
        patient=review.patient,
        target=review,
    )
    return review

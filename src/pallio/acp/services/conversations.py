"""Goals-of-care conversations (draft, sign, addenda), and marking any planning record
entered in error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.acp.models import (
    AdvanceDirectiveDocument,
    CodeStatus,
    ConversationAddendum,
    GoalFocus,
    GoalsOfCareConversation,
    HealthcareAgent,
    PortableOrder,
)
from pallio.acp.services.common import (
    MAX_PARTICIPANTS,
    TEXT_LIMIT,
    _lock_patient,
    _raise,
    _same_patient,
    _save_versioned,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.privileges import privilege_check
from pallio.core.validation import check_choice, check_text
from pallio.patients.models import Patient

# --- conversations --------------------------------------------------------------------------


@dataclass
class ConversationInput:
    held_at: datetime
    goal_focus: str
    participants: list[dict[str, str]]
    understanding: str = ""
    information_preferences: str = ""
    prognosis_shared: str = ""
    goals: str = ""
    fears_worries: str = ""
    sources_of_strength: str = ""
    critical_abilities: str = ""
    acceptable_tradeoffs: str = ""
    family_knowledge: str = ""


def _conversation_validate(data: ConversationInput, patient: Patient) -> list[dict[str, str]]:
    errors: dict[str, list[str]] = {}
    check_choice(errors, "goal_focus", data.goal_focus, GoalFocus.values)
    for name in GoalsOfCareConversation.SECTIONS:
        check_text(errors, name, getattr(data, name), TEXT_LIMIT)
    check_text(errors, "goals", data.goals, TEXT_LIMIT, required=True)
    if not isinstance(data.held_at, datetime) or data.held_at.tzinfo is None:
        errors.setdefault("held_at", []).append("Enter when the conversation took place.")
    elif data.held_at > clock.now():
        errors.setdefault("held_at", []).append("The conversation cannot be in the future.")
    participants = []
    for person in data.participants[: MAX_PARTICIPANTS + 1]:
        name = str(person.get("name", "")).strip()
        role = str(person.get("role", "")).strip()
        if not name and not role:
            continue
        if not name or len(name) > 200 or len(role) > 100 or "\x00" in name + role:
            errors.setdefault("participants", []).append(
                "Give each participant a name (under 200 characters) and a role."
            )
            break
        participants.append({"name": name, "role": role})
    if not participants:
        errors.setdefault("participants", []).append("Name who took part in the conversation.")
    if len(participants) > MAX_PARTICIPANTS:
        errors.setdefault("participants", []).append(f"Name at most {MAX_PARTICIPANTS} people.")
    _raise(errors)
    return participants


@transaction.atomic
def conversation_create(
    *, actor: Any, patient: Patient, data: ConversationInput, sign: bool = False
) -> GoalsOfCareConversation:
    """Record a goals-of-care conversation; a new one never changes earlier ones."""
    if sign:
        privilege_check(actor, "goals_of_care.sign")
    participants = _conversation_validate(data, patient)
    episode = patient.episodes.filter(status="active").first()
    conversation = GoalsOfCareConversation(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        held_at=data.held_at,
        participants=participants,
        goal_focus=data.goal_focus,
        author=actor,
        **{name: getattr(data, name).strip() for name in GoalsOfCareConversation.SECTIONS},
    )
    if sign:
        conversation.status = GoalsOfCareConversation.Status.SIGNED
        conversation.signed_at = clock.now()
        conversation.signed_by = actor
    conversation.save(force_insert=True)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.conversation.create",
        patient=patient,
        target=conversation,
        detail={"signed": sign},
    )
    return conversation


def _assert_draft(conversation: GoalsOfCareConversation) -> None:
    if conversation.is_signed:
        raise ValidationError("This conversation is signed and cannot be changed; add an addendum.")
    if conversation.entered_in_error:
        raise ValidationError("This conversation was marked as entered in error.")


@transaction.atomic
def conversation_update(
    *,
    actor: Any,
    conversation: GoalsOfCareConversation,
    expected_version: int,
    data: ConversationInput,
) -> GoalsOfCareConversation:
    """Edit a draft. A signed conversation is immutable."""
    _assert_draft(conversation)
    participants = _conversation_validate(data, conversation.patient)
    conversation.held_at = data.held_at
    conversation.participants = participants
    conversation.goal_focus = data.goal_focus
    for name in GoalsOfCareConversation.SECTIONS:
        setattr(conversation, name, getattr(data, name).strip())
    fields = ["held_at", "participants", "goal_focus", *GoalsOfCareConversation.SECTIONS]
    _save_versioned(conversation, expected_version, fields)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="acp.conversation.update",
        patient=conversation.patient,
        target=conversation,
    )
    return conversation


@transaction.atomic
def conversation_sign(
    *, actor: Any, conversation: GoalsOfCareConversation, expected_version: int
) -> GoalsOfCareConversation:
    privilege_check(actor, "goals_of_care.sign")
    _assert_draft(conversation)
    conversation.status = GoalsOfCareConversation.Status.SIGNED
    conversation.signed_at = clock.now()
    conversation.signed_by = actor
    _save_versioned(conversation, expected_version, ["status", "signed_at", "signed_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="acp.conversation.sign",
        patient=conversation.patient,
        target=conversation,
    )
    return conversation


@transaction.atomic
def conversation_addendum_add(
    *, actor: Any, conversation: GoalsOfCareConversation, reason: str, text: str
) -> ConversationAddendum:
    """Add to a signed conversation: author, time and reason; the original stays visible."""
    if not conversation.is_signed:
        raise ValidationError("Edit the draft instead; addenda are for signed conversations.")
    errors: dict[str, list[str]] = {}
    check_text(errors, "reason", reason, 300, required=True)
    check_text(errors, "text", text, TEXT_LIMIT, required=True)
    _raise(errors)
    addendum = ConversationAddendum.objects.create(
        conversation=conversation, author=actor, reason=reason.strip(), text=text.strip()
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.conversation.addendum",
        patient=conversation.patient,
        target=addendum,
    )
    return addendum


def _mark_error(record: Any, *, actor: Any, reason: str, event: str, patient: Patient) -> None:
    if record.entered_in_error:
        raise ValidationError("This record was already marked as entered in error.")
    errors: dict[str, list[str]] = {}
    check_text(errors, "reason", reason, 300, required=True)
    _raise(errors)
    record.entered_in_error = True
    record.entered_in_error_at = clock.now()
    record.entered_in_error_by = actor
    record.entered_in_error_reason = reason.strip()
    fields = [
        "entered_in_error",
        "entered_in_error_at",
        "entered_in_error_by",
        "entered_in_error_reason",
    ]
    if hasattr(record, "save_versioned"):
        _save_versioned(record, None, fields)
    else:
        record.save(update_fields=fields)
    audit_record(actor=actor, action=Action.UPDATE, event=event, patient=patient, target=record)


# The privilege each kind of record needs to be marked entered in error
# (core/data/privileges.json: never less than the privilege that created it).
VOID_ACTIONS: dict[type, str] = {
    GoalsOfCareConversation: "goals_of_care.void",
    CodeStatus: "code_status.void",
    PortableOrder: "portable_order.void",
}


@transaction.atomic
def acp_record_mark_entered_in_error(
    *, actor: Any, patient: Patient, record: Any, reason: str
) -> Any:
    """Mark a conversation, agent, document, code status or order as wrong.
    Nothing is deleted; the record stays visible, struck through, with who and why."""
    privilege_check(actor, VOID_ACTIONS.get(type(record), "advance_care_record.void"))
    _same_patient(record, patient)
    kinds = {
        GoalsOfCareConversation: "acp.conversation.error",
        HealthcareAgent: "acp.agent.error",
        AdvanceDirectiveDocument: "acp.document.error",
        CodeStatus: "acp.code_status.error",
        PortableOrder: "acp.portable_order.error",
    }
    event = kinds.get(type(record))
    if event is None:
        raise ValidationError("This kind of record cannot be marked as entered in error.")
    if isinstance(record, PortableOrder) and record.is_superseded:
        raise ValidationError("Only the current order can be marked as entered in error.")
    _lock_patient(patient)
    _mark_error(record, actor=actor, reason=reason, event=event, patient=patient)
    return record

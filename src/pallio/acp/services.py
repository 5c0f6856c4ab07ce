"""Every write to goals of care and advance care planning.

Callers reach the patient through an access-checked selector first; these functions check that
every record they are given belongs to that patient, so an id of patient A sent in patient B's
context changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max

from pallio.acp.models import (
    AdvanceDirectiveDocument,
    CodeStatus,
    CodeStatusValue,
    ConversationAddendum,
    DirectiveKind,
    GoalFocus,
    GoalsOfCareConversation,
    HealthcareAgent,
    Place,
    PlacePreference,
    PortableOrder,
    Relationship,
    TreatmentCategory,
    TreatmentChoice,
    TreatmentPreference,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.core.phones import InvalidPhone, phone_to_e164
from pallio.core.privileges import privilege_check
from pallio.core.uploads import safe_file_name, upload_check
from pallio.core.validation import check_choice, check_text
from pallio.patients.models import Patient

TEXT_LIMIT = 4000
MAX_PARTICIPANTS = 20
STALE_MESSAGE = (
    "The {what} was changed by someone else while you were looking at it. "
    "Reload to see the current {what}, then make your change again."
)


# --- checks ---------------------------------------------------------------------------------


def _check_not_future(
    errors: dict[str, list[str]], name: str, value: date | None, today: date
) -> None:
    if value is not None and value > today:
        errors.setdefault(name, []).append("This date cannot be in the future.")


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _today(patient: Patient) -> date:
    return clock.today_in(patient.program.timezone)


def _same_patient(record: Any, patient: Patient) -> None:
    if record is not None and record.patient_id != patient.pk:
        raise ValidationError("That record does not belong to this patient.")


def _save_versioned(record: Any, expected_version: int | None, fields: list[str]) -> None:
    """The version check, then a plain save of the same fields so that the change also
    lands in the record's history (save_versioned writes with a bare UPDATE)."""
    record.save_versioned(expected_version=expected_version, fields=fields)
    record.save(update_fields=[*fields, "version", "updated_at"])


def _lock_patient(patient: Patient) -> None:
    """Serialise changes to one patient's history (PostgreSQL row lock; SQLite writes are
    serialised by its immediate transactions)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True).first()


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


# --- agents ---------------------------------------------------------------------------------


@dataclass
class AgentInput:
    name: str
    relationship: str
    rank: int = 0
    phone: str = ""
    alternate_phone: str = ""
    email: str = ""
    address: str = ""


def _agent_validate(data: AgentInput) -> AgentInput:
    errors: dict[str, list[str]] = {}
    check_text(errors, "name", data.name, 200, required=True)
    check_text(errors, "address", data.address, 300)
    check_choice(errors, "relationship", data.relationship, Relationship.values)
    if not isinstance(data.rank, int) or not 0 <= data.rank <= 5:
        errors.setdefault("rank", []).append("Choose the agent or an alternate.")
    phones = {}
    for name in ("phone", "alternate_phone"):
        try:
            phones[name] = phone_to_e164(getattr(data, name))
        except InvalidPhone:
            errors.setdefault(name, []).append("Enter a phone number such as 617-555-0100.")
    if data.email:
        try:
            validate_email(data.email)
        except ValidationError:
            errors.setdefault("email", []).append("Enter a valid email address.")
    if not (data.phone or data.email):
        errors.setdefault("phone", []).append("Give a phone number or an email address.")
    _raise(errors)
    data.phone = phones["phone"]
    data.alternate_phone = phones["alternate_phone"]
    return data


@transaction.atomic
def agent_add(
    *,
    actor: Any,
    patient: Patient,
    data: AgentInput,
    naming_document: AdvanceDirectiveDocument | None = None,
) -> HealthcareAgent:
    data = _agent_validate(data)
    _same_patient(naming_document, patient)
    if naming_document is not None and naming_document.entered_in_error:
        raise ValidationError({"naming_document": ["That document was entered in error."]})
    _lock_patient(patient)
    taken = HealthcareAgent.objects.filter(patient=patient, entered_in_error=False, rank=data.rank)
    if taken.exists():
        label = "a healthcare agent" if data.rank == 0 else f"an alternate {data.rank}"
        raise ValidationError(
            {"rank": [f"This patient already has {label}; mark that entry in error first."]}
        )
    agent = HealthcareAgent.objects.create(
        program_id=patient.program_id,
        patient=patient,
        name=data.name.strip(),
        relationship=data.relationship,
        rank=data.rank,
        phone=data.phone,
        alternate_phone=data.alternate_phone,
        email=data.email.strip(),
        address=data.address.strip(),
        naming_document=naming_document,
        recorded_by=actor,
    )
    audit_record(
        actor=actor, action=Action.CREATE, event="acp.agent.add", patient=patient, target=agent
    )
    return agent


@transaction.atomic
def agent_verify(*, actor: Any, agent: HealthcareAgent, expected_version: int) -> HealthcareAgent:
    """Someone checked the naming document (or the legal default) and confirms the agent."""
    if agent.entered_in_error:
        raise ValidationError("This agent was entered in error.")
    agent.verified = True
    agent.verified_at = clock.now()
    agent.verified_by = actor
    _save_versioned(agent, expected_version, ["verified", "verified_at", "verified_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="acp.agent.verify",
        patient=agent.patient,
        target=agent,
    )
    return agent


# --- documents ------------------------------------------------------------------------------


@transaction.atomic
def directive_document_upload(
    *,
    actor: Any,
    patient: Patient,
    kind: str,
    document_date: date,
    source: str,
    upload: UploadedFile,
) -> AdvanceDirectiveDocument:
    errors: dict[str, list[str]] = {}
    check_choice(errors, "kind", kind, DirectiveKind.values)
    check_text(errors, "source", source, 200, required=True)
    if not isinstance(document_date, date):
        errors.setdefault("document_date", []).append("Enter the date of the document.")
    else:
        _check_not_future(errors, "document_date", document_date, _today(patient))
    try:
        checked = upload_check(upload, pdf_policy=patient.program.setting("pdf_active_content"))
    except ValidationError as exc:
        errors.setdefault("file", []).extend(exc.messages)
    _raise(errors)
    mime = checked.mime
    digest = hashlib.sha256(checked.content).hexdigest()
    document = AdvanceDirectiveDocument(
        program_id=patient.program_id,
        patient=patient,
        kind=kind,
        document_date=document_date,
        source=source.strip(),
        original_name=safe_file_name(upload.name or ""),
        content_type=mime,
        size=checked.size,
        sha256=digest,
        uploaded_by=actor,
    )
    document.file.save(f"{secrets.token_hex(16)}.bin", ContentFile(checked.content), save=False)
    document.save(force_insert=True)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.document.upload",
        patient=patient,
        target=document,
        detail={"kind": kind, "content_type": mime, "disarmed": checked.disarmed},
    )
    return document


@transaction.atomic
def directive_document_verify(
    *, actor: Any, document: AdvanceDirectiveDocument
) -> AdvanceDirectiveDocument:
    if document.entered_in_error:
        raise ValidationError("This document was entered in error.")
    if document.verified:
        return document
    document.verified = True
    document.verified_at = clock.now()
    document.verified_by = actor
    document.save(update_fields=["verified", "verified_at", "verified_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="acp.document.verify",
        patient=document.patient,
        target=document,
    )
    return document


# --- code status and portable orders --------------------------------------------------------


def current_code_status_of(patient: Patient) -> CodeStatus | None:
    return (
        CodeStatus.objects.filter(patient=patient, entered_in_error=False)
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def code_status_change(
    *,
    actor: Any,
    patient: Patient,
    status: str,
    effective_date: date,
    note: str = "",
    expected_current_id: Any,
) -> CodeStatus:
    """Record a new code status. `expected_current_id` is the status the recorder saw as
    current (None when there was none); if it changed since, ConflictError, never a silent
    overwrite."""
    privilege_check(
        actor, "code_status.change" if current_code_status_of(patient) else "code_status.record"
    )
    errors: dict[str, list[str]] = {}
    check_choice(errors, "status", status, CodeStatusValue.values)
    check_text(errors, "note", note, 500)
    if not isinstance(effective_date, date):
        errors.setdefault("effective_date", []).append("Enter the date it takes effect.")
    else:
        _check_not_future(errors, "effective_date", effective_date, _today(patient))
    _raise(errors)
    _lock_patient(patient)
    current = current_code_status_of(patient)
    current_id = str(current.pk) if current else ""
    if current_id != (str(expected_current_id) if expected_current_id else ""):
        raise ConflictError(STALE_MESSAGE.format(what="code status"))
    entry = CodeStatus.objects.create(
        program_id=patient.program_id,
        patient=patient,
        status=status,
        effective_date=effective_date,
        note=note.strip(),
        replaces=current,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.code_status.change",
        patient=patient,
        target=entry,
        detail={"status": status, "previous": current.status if current else None},
    )
    return entry


@dataclass
class PortableOrderInput:
    form_type: str
    signer_name: str
    signer_role: str
    effective_date: date
    cpr: str
    medical_interventions: str
    artificial_nutrition: str


def current_portable_order_of(patient: Patient) -> PortableOrder | None:
    return (
        PortableOrder.objects.filter(
            patient=patient, entered_in_error=False, superseded_by__isnull=True
        )
        .order_by("-version_number")
        .first()
    )


@transaction.atomic
def portable_order_record(
    *,
    actor: Any,
    patient: Patient,
    data: PortableOrderInput,
    expected_current_id: Any,
    document: AdvanceDirectiveDocument | None = None,
) -> PortableOrder:
    """Record a new POLST/MOLST version; the previous one is kept, marked superseded."""
    privilege_check(
        actor,
        "portable_order.change" if current_portable_order_of(patient) else "portable_order.record",
    )
    errors: dict[str, list[str]] = {}
    check_choice(errors, "form_type", data.form_type, PortableOrder.FormType.values)
    check_choice(errors, "cpr", data.cpr, PortableOrder.Cpr.values)
    check_choice(
        errors,
        "medical_interventions",
        data.medical_interventions,
        PortableOrder.Interventions.values,
    )
    check_choice(
        errors, "artificial_nutrition", data.artificial_nutrition, PortableOrder.Nutrition.values
    )
    check_text(errors, "signer_name", data.signer_name, 200, required=True)
    check_text(errors, "signer_role", data.signer_role, 100, required=True)
    if not isinstance(data.effective_date, date):
        errors.setdefault("effective_date", []).append("Enter the date the order was signed.")
    else:
        _check_not_future(errors, "effective_date", data.effective_date, _today(patient))
    _raise(errors)
    _same_patient(document, patient)
    _lock_patient(patient)
    current = current_portable_order_of(patient)
    current_id = str(current.pk) if current else ""
    if current_id != (str(expected_current_id) if expected_current_id else ""):
        raise ConflictError(STALE_MESSAGE.format(what="portable medical order"))
    last = PortableOrder.objects.filter(patient=patient).aggregate(n=Max("version_number"))["n"]
    order = PortableOrder.objects.create(
        program_id=patient.program_id,
        patient=patient,
        form_type=data.form_type,
        version_number=(last or 0) + 1,
        signer_name=data.signer_name.strip(),
        signer_role=data.signer_role.strip(),
        effective_date=data.effective_date,
        cpr=data.cpr,
        medical_interventions=data.medical_interventions,
        artificial_nutrition=data.artificial_nutrition,
        document=document,
        recorded_by=actor,
    )
    if current is not None:
        current.superseded_by = order
        current.save(update_fields=["superseded_by"])
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="acp.portable_order.record",
        patient=patient,
        target=order,
        detail={"version": order.version_number},
    )
    return order


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

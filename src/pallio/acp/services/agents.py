"""Health-care agents and advance directive documents."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction

from pallio.acp.models import AdvanceDirectiveDocument, DirectiveKind, HealthcareAgent, Relationship
from pallio.acp.services.common import (
    _check_not_future,
    _lock_patient,
    _raise,
    _same_patient,
    _save_versioned,
    _today,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.phones import InvalidPhone, phone_to_e164
from pallio.core.uploads import safe_file_name, upload_check
from pallio.core.validation import check_choice, check_text
from pallio.patients.models import Patient

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

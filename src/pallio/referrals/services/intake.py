"""Intake from any door: validate, store with its attachments, acknowledge, and queue the
referrer's letter."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.codes import ICD10CM, SNOMED, diagnosis_lookup
from pallio.core.idempotency import IdempotencyConflict
from pallio.core.phones import InvalidPhone, phone_to_e164
from pallio.core.uploads import CheckedUpload, safe_file_name, upload_check
from pallio.core.validation import check_text
from pallio.patients.models import AdministrativeSex, PayerType, Residence
from pallio.programs.models import Program, letter_text
from pallio.referrals import clocks
from pallio.referrals.models import (
    URGENCY_RANK,
    Attachment,
    Letter,
    Reason,
    Referral,
    ReferralMedication,
    Setting,
    Source,
    Status,
    Urgency,
)
from pallio.referrals.tasks import letter_enqueue

MAX_ATTACHMENTS = 5
MAX_MEDICATIONS = 30
OLDEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass
class ReferralInput:
    """What any door (public form, self-referral, phone, API) says about a referral."""

    given_name: str
    family_name: str
    birth_date: date
    diagnosis_system: str
    diagnosis_code: str
    sex: str = AdministrativeSex.UNKNOWN
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    residence: str = Residence.HOME
    diagnosis_date: date | None = None
    advanced_illness: bool = False
    reasons: list[str] = field(default_factory=list)
    urgency: str = Urgency.ROUTINE
    preferred_setting: str = Setting.NO_PREFERENCE
    clinical_summary: str = ""
    payer_type: str = ""
    payer_name: str = ""
    member_id: str = ""
    referrer_name: str = ""
    referrer_organization: str = ""
    referrer_email: str = ""
    referrer_phone: str = ""
    referrer_relationship: str = ""
    consent_to_contact: bool = False
    # The medications the referrer lists, one line each, word for word.
    medications: list[str] = field(default_factory=list)

    def fingerprint(self, source: str) -> str:
        payload = asdict(self) | {"source": source}
        if not payload["medications"]:
            # Referrals without medications keep the fingerprint they always had.
            del payload["medications"]
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def referral_validate(data: ReferralInput, *, source: str, today: date) -> ReferralInput:
    """Check a referral; returns it with phone numbers normalised. Raises ValidationError
    naming every problem at once."""
    errors: dict[str, list[str]] = {}
    for name, limit, required in (
        ("given_name", 100, True),
        ("family_name", 100, True),
        ("address_line", 200, False),
        ("city", 100, False),
        ("state", 40, False),
        ("postal_code", 16, False),
        ("clinical_summary", 4000, False),
        ("payer_name", 120, False),
        ("member_id", 60, False),
        ("referrer_name", 200, False),
        ("referrer_organization", 200, False),
        ("referrer_relationship", 60, False),
    ):
        check_text(errors, name, getattr(data, name), limit, required=required)
    if not isinstance(data.birth_date, date):
        errors.setdefault("birth_date", []).append("Enter a valid date of birth.")
    elif data.birth_date > today:
        errors.setdefault("birth_date", []).append("The date of birth cannot be in the future.")
    elif data.birth_date < OLDEST_BIRTH_DATE:
        errors.setdefault("birth_date", []).append("Check the year of birth.")
    if data.diagnosis_date is not None:
        if data.diagnosis_date > today:
            errors.setdefault("diagnosis_date", []).append(
                "The date of diagnosis cannot be in the future."
            )
        elif isinstance(data.birth_date, date) and data.diagnosis_date < data.birth_date:
            errors.setdefault("diagnosis_date", []).append(
                "The date of diagnosis is before the date of birth."
            )
    if (
        data.diagnosis_system not in (ICD10CM, SNOMED)
        or diagnosis_lookup(data.diagnosis_system, data.diagnosis_code) is None
    ):
        errors.setdefault("diagnosis", []).append(
            "Choose the diagnosis from the list (ICD-10-CM or SNOMED CT)."
        )
    choices = (
        ("sex", data.sex, AdministrativeSex.values),
        ("residence", data.residence, Residence.values),
        ("urgency", data.urgency, Urgency.values),
        ("preferred_setting", data.preferred_setting, Setting.values),
    )
    for name, value, allowed in choices:
        if value not in allowed:
            errors.setdefault(name, []).append("Choose one of the options.")
    if data.payer_type and data.payer_type not in PayerType.values:
        errors.setdefault("payer_type", []).append("Choose one of the options.")
    unknown = [r for r in data.reasons if r not in Reason.values]
    if unknown or len(set(data.reasons)) != len(data.reasons):
        errors.setdefault("reasons", []).append("Choose reasons from the list.")
    phones = {}
    for name in ("phone", "referrer_phone"):
        try:
            phones[name] = phone_to_e164(getattr(data, name))
        except InvalidPhone:
            errors.setdefault(name, []).append("Enter a phone number such as 617-555-0100.")
    for name in ("email", "referrer_email"):
        value = getattr(data, name)
        if len(value) > 254:
            errors.setdefault(name, []).append("Keep the email address under 254 characters.")
        elif value:
            try:
                validate_email(value)
            except ValidationError:
                errors.setdefault(name, []).append("Enter a valid email address.")
    if source in (Source.PROVIDER, Source.HEALTH_PLAN):
        check_text(errors, "referrer_name", data.referrer_name, 200, required=True)
        if not (data.referrer_email or data.referrer_phone):
            errors.setdefault("referrer_email", []).append(
                "Give an email or phone number so that we can reply to you."
            )
    if source in (Source.SELF, Source.FAMILY) and not (
        data.phone or data.email or data.referrer_phone or data.referrer_email
    ):
        errors.setdefault("phone", []).append("Give a phone number or email so we can call.")
    if source != Source.PHONE and not data.consent_to_contact:
        errors.setdefault("consent_to_contact", []).append(
            "We need permission to contact the patient or family."
        )
    medications = [" ".join(line.split()) for line in data.medications]
    medications = [line for line in medications if line]
    if len(medications) > MAX_MEDICATIONS:
        errors.setdefault("medications", []).append(f"List at most {MAX_MEDICATIONS} medications.")
    for line in medications:
        check_text(errors, "medications", line, 200)
    if errors:
        raise ValidationError(errors)
    data.medications = medications
    data.phone = phones.get("phone", "")
    data.referrer_phone = phones.get("referrer_phone", "")
    return data


def eligibility_for(program: Program, *, system: str, code: str) -> tuple[bool, str]:
    """Whether a diagnosis is in the program's serious-illness code sets."""
    diagnosis = diagnosis_lookup(system, code)
    prefixes: dict[str, list[str]] = program.setting("serious_illness_icd10_prefixes")
    if system == ICD10CM:
        for group, codes in prefixes.items():
            if any(code.upper().startswith(p.upper()) for p in codes):
                return True, f"Serious illness ({group.replace('_', ' ')})"
        return False, "The diagnosis is not in the program's serious-illness code sets."
    if diagnosis is not None and diagnosis.group in prefixes:
        return True, f"Serious illness ({diagnosis.group.replace('_', ' ')})"
    return False, "The diagnosis is not in the program's serious-illness code sets."


def _new_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "PAL-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _letter_body(referral: Referral, kind: str, extra: dict[str, Any] | None = None) -> str:
    with timezone.override(ZoneInfo(referral.program.timezone)):
        return render_to_string(
            f"referrals/letters/{kind}.txt",
            {
                "referral": referral,
                "program": referral.program,
                "wording": letter_text(referral.program, kind),
                **(extra or {}),
            },
        )


def _letter_queue(
    referral: Referral, kind: str, subject: str, extra: dict[str, Any] | None = None
) -> Letter | None:
    if not referral.referrer_email:
        return None
    letter = Letter.objects.create(
        referral=referral,
        kind=kind,
        to_email=referral.referrer_email,
        subject=subject,
        body=_letter_body(referral, kind, extra),
    )
    letter_id = str(letter.pk)
    transaction.on_commit(lambda: letter_enqueue(letter_id))
    return letter


def referral_create(
    *,
    actor: Any,
    program: Program,
    source: str,
    data: ReferralInput,
    idempotency_key: str = "",
    attachments: Sequence[UploadedFile] = (),
) -> tuple[Referral, bool]:
    """Take in a referral from any door. Returns (referral, created).

    With an idempotency key, a retry or double submission returns the first referral;
    the same key with a different referral raises IdempotencyConflict.
    """
    if source not in Source.values:
        raise ValidationError({"source": ["Unknown referral source."]})
    idempotency_key = (idempotency_key or "").strip()[:100]
    fingerprint = data.fingerprint(source)
    if idempotency_key:
        existing = _existing_for_key(program, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    today = clock.today_in(program.timezone)
    data = referral_validate(data, source=source, today=today)
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": [f"Send at most {MAX_ATTACHMENTS} files."]})
    attachment_errors = []
    checked = []
    pdf_policy = program.setting("pdf_active_content")
    for upload in attachments:
        try:
            checked.append(upload_check(upload, pdf_policy=pdf_policy))
        except ValidationError as exc:
            attachment_errors.extend(exc.messages)
    if attachment_errors:
        raise ValidationError({"attachments": attachment_errors})
    try:
        with transaction.atomic():
            referral = _referral_insert(
                actor=actor,
                program=program,
                source=source,
                data=data,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                today=today,
            )
            for upload, item in zip(attachments, checked, strict=True):
                _attachment_store(referral, upload, item)
    except IntegrityError:
        # Two copies of the same submission raced; the other one won.
        if idempotency_key:
            existing = _existing_for_key(program, idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
        raise
    return referral, True


def _attachment_store(referral: Referral, upload: UploadedFile, item: CheckedUpload) -> Attachment:
    attachment = Attachment(
        referral=referral,
        original_name=safe_file_name(upload.name or ""),
        content_type=item.mime,
        size=item.size,
    )
    attachment.file.save(f"{secrets.token_hex(16)}.bin", ContentFile(item.content), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def referral_attachment_add(*, actor: Any, referral: Referral, upload: UploadedFile) -> Attachment:
    """A document sent after the referral (a letter, a scan), checked as any upload is."""
    _assert_open(referral)
    if referral.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": [f"A referral holds at most {MAX_ATTACHMENTS} files."]})
    try:
        item = upload_check(upload, pdf_policy=referral.program.setting("pdf_active_content"))
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    attachment = _attachment_store(referral, upload, item)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="referral.attachment.add",
        target=attachment,
        program=referral.program,
        patient=referral.patient,
        detail={"content_type": item.mime, "disarmed": item.disarmed},
    )
    return attachment


def _existing_for_key(program: Program, key: str, fingerprint: str) -> Referral | None:
    existing = Referral.objects.filter(program=program, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was already used for a different referral.")
    return existing


def _referral_insert(
    *,
    actor: Any,
    program: Program,
    source: str,
    data: ReferralInput,
    idempotency_key: str,
    fingerprint: str,
    today: date,
) -> Referral:
    diagnosis = diagnosis_lookup(data.diagnosis_system, data.diagnosis_code)
    assert diagnosis is not None  # checked by referral_validate
    eligible, note = eligibility_for(
        program, system=data.diagnosis_system, code=data.diagnosis_code
    )
    advanced = data.advanced_illness or diagnosis.advanced
    referral = Referral(
        program=program,
        reference=_new_reference(),
        source=source,
        urgency=data.urgency,
        urgency_rank=URGENCY_RANK[Urgency(data.urgency)],
        received_at=clock.now(),
        first_contact_due=clocks.first_contact_due(program, data.urgency, today),
        advanced_cancer_deadline=clocks.advanced_cancer_deadline(
            program, group=diagnosis.group, advanced=advanced, diagnosis_date=data.diagnosis_date
        ),
        given_name=data.given_name.strip(),
        family_name=data.family_name.strip(),
        birth_date=data.birth_date,
        sex=data.sex,
        phone=data.phone,
        email=data.email,
        address_line=data.address_line,
        city=data.city,
        state=data.state,
        postal_code=data.postal_code,
        residence=data.residence,
        diagnosis_system=data.diagnosis_system,
        diagnosis_code=data.diagnosis_code,
        diagnosis_display=diagnosis.display,
        diagnosis_date=data.diagnosis_date,
        advanced_illness=advanced,
        reasons=list(data.reasons),
        preferred_setting=data.preferred_setting,
        clinical_summary=data.clinical_summary,
        payer_type=data.payer_type,
        payer_name=data.payer_name,
        member_id=data.member_id,
        referrer_name=data.referrer_name,
        referrer_organization=data.referrer_organization,
        referrer_email=data.referrer_email,
        referrer_phone=data.referrer_phone,
        referrer_relationship=data.referrer_relationship,
        consent_to_contact=data.consent_to_contact,
        eligible=eligible,
        eligibility_note=note,
        entered_by=actor if getattr(actor, "is_authenticated", False) else None,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    referral.save(force_insert=True)
    ReferralMedication.objects.bulk_create(
        ReferralMedication(referral=referral, position=i, text=text)
        for i, text in enumerate(data.medications)
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="referral.create",
        target=referral,
        program=program,
        detail={"source": source},
    )
    if referrer_verified(referral):
        _acknowledge(referral)
    return referral


def referrer_verified(referral: Referral) -> bool:
    """Whether the referral's sender may be written to before anyone at the program read it.

    Anyone can type any address into the public form; writing to it at once would let the
    form mail strangers. A referral entered by staff is trusted, and so is an address that
    already referred a patient this program accepted or that staff entered themselves.
    """
    if referral.entered_by_id is not None:
        return True
    email = referral.referrer_email.strip()
    if not email:
        return False
    return (
        Referral.objects.filter(program_id=referral.program_id, referrer_email__iexact=email)
        .exclude(pk=referral.pk)
        .filter(Q(entered_by__isnull=False) | Q(status=Status.ACCEPTED))
        .exists()
    )


def _acknowledge(referral: Referral) -> None:
    """Queue the "referral received" letter, once per referral."""
    if referral.letters.filter(kind=Letter.Kind.RECEIVED).exists():
        return
    _letter_queue(
        referral, Letter.Kind.RECEIVED, f"Referral received - reference {referral.reference}"
    )


def _assert_open(referral: Referral) -> None:
    if not referral.is_open:
        raise ValidationError(f"This referral was already {referral.get_status_display().lower()}.")

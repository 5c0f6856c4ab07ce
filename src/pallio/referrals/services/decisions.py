"""Triage and the decision: review, insurance, the patient record, accept, decline, redirect,
hold and resume."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.validation import check_text
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.services import care_team_check, episode_open
from pallio.patients.models import AuthorizationStatus, PayerType
from pallio.patients.services import PatientIdentity, condition_add, coverage_set, patient_create
from pallio.referrals import clocks
from pallio.referrals.models import DeclineReason, Letter, Referral, Status
from pallio.referrals.services.intake import _acknowledge, _assert_open, _letter_queue


def _save(referral: Referral, expected_version: int | None, fields: list[str]) -> None:
    """Save the changed fields; a stale `expected_version` raises ConflictError."""
    referral.save_versioned(expected_version=expected_version, fields=fields)


@transaction.atomic
def referral_start_review(*, actor: Any, referral: Referral) -> Referral:
    if referral.status == Status.NEW:
        referral.status = Status.IN_REVIEW
        _save(referral, None, ["status"])
        _acknowledge(referral)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="referral.review",
            target=referral,
            program=referral.program,
            patient=referral.patient,
        )
    return referral


@transaction.atomic
def referral_update_insurance(
    *,
    actor: Any,
    referral: Referral,
    expected_version: int,
    payer_type: str,
    payer_name: str = "",
    member_id: str = "",
    authorization: str = AuthorizationStatus.NOT_NEEDED,
    authorization_number: str = "",
) -> Referral:
    _assert_open(referral)
    errors: dict[str, list[str]] = {}
    if payer_type not in PayerType.values:
        errors["payer_type"] = ["Choose the payer type."]
    if authorization not in AuthorizationStatus.values:
        errors["authorization"] = ["Choose the authorization status."]
    for name, value, limit in (
        ("payer_name", payer_name, 120),
        ("member_id", member_id, 60),
        ("authorization_number", authorization_number, 60),
    ):
        check_text(errors, name, value, limit)
    if authorization == AuthorizationStatus.OBTAINED and not authorization_number.strip():
        errors["authorization_number"] = ["Enter the authorization number."]
    if errors:
        raise ValidationError(errors)
    referral.payer_type = payer_type
    referral.payer_name = payer_name.strip()
    referral.member_id = member_id.strip()
    referral.authorization = authorization
    referral.authorization_number = authorization_number.strip()
    if referral.status == Status.NEW:
        referral.status = Status.IN_REVIEW
        _acknowledge(referral)
    _save(
        referral,
        expected_version,
        [
            "payer_type",
            "payer_name",
            "member_id",
            "authorization",
            "authorization_number",
            "status",
        ],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.insurance",
        target=referral,
        program=referral.program,
        patient=referral.patient,
    )
    return referral


@transaction.atomic
def referral_link_patient(
    *, actor: Any, referral: Referral, expected_version: int, patient: Any
) -> Referral:
    """The coordinator says this referral is about an existing patient. Nothing is merged."""
    _assert_open(referral)
    if patient.program_id != referral.program_id:
        raise ValidationError("No such patient.")
    referral.patient = patient
    if referral.status == Status.NEW:
        referral.status = Status.IN_REVIEW
        _acknowledge(referral)
    _save(referral, expected_version, ["patient", "status"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.link_patient",
        target=referral,
        program=referral.program,
        patient=patient,
    )
    return referral


@transaction.atomic
def referral_create_patient(*, actor: Any, referral: Referral, expected_version: int) -> Referral:
    """The coordinator says this is a new person: make their record from the referral."""
    _assert_open(referral)
    if referral.patient_id is not None:
        raise ValidationError("This referral is already linked to a patient.")
    patient = patient_create(
        actor=actor,
        program=referral.program,
        identity=PatientIdentity(
            given_name=referral.given_name,
            family_name=referral.family_name,
            birth_date=referral.birth_date,
            sex=referral.sex,
            phone=referral.phone,
            email=referral.email,
            address_line=referral.address_line,
            city=referral.city,
            state=referral.state,
            postal_code=referral.postal_code,
            residence=referral.residence,
        ),
    )
    return referral_link_patient(
        actor=actor, referral=referral, expected_version=expected_version, patient=patient
    )


@transaction.atomic
def referral_accept(
    *, actor: Any, referral: Referral, expected_version: int, team: Sequence[Any], lead: Any = None
) -> EpisodeOfCare:
    """Accept: enroll the patient, build the care team, set the first visit due by urgency
    and create the first-contact task; tell the referrer."""
    _assert_open(referral)
    if referral.patient_id is None:
        raise ValidationError(
            "Link this referral to an existing patient or create a new patient first."
        )
    lead = care_team_check(program_id=referral.program_id, team=team, lead=lead)
    patient = referral.patient
    assert patient is not None
    today = clock.today_in(referral.program.timezone)
    first_visit_due = clocks.first_contact_due(referral.program, referral.urgency, today)
    if referral.advanced_cancer_deadline and referral.advanced_cancer_deadline > today:
        first_visit_due = min(first_visit_due, referral.advanced_cancer_deadline)
    referral.status = Status.ACCEPTED
    referral.decided_at = clock.now()
    referral.decided_by = actor
    _save(referral, expected_version, ["status", "decided_at", "decided_by"])
    condition_add(
        actor=actor,
        patient=patient,
        system=referral.diagnosis_system,
        code=referral.diagnosis_code,
        display=referral.diagnosis_display,
        onset_date=referral.diagnosis_date,
        advanced=referral.advanced_illness,
        is_primary=not patient.conditions.exists(),
    )
    if referral.payer_type:
        coverage_set(
            actor=actor,
            patient=patient,
            payer_type=referral.payer_type,
            payer_name=referral.payer_name,
            member_id=referral.member_id,
            authorization=referral.authorization,
            authorization_number=referral.authorization_number,
        )
    episode = episode_open(
        actor=actor,
        patient=patient,
        referral=referral,
        team=team,
        first_visit_due=first_visit_due,
        lead=lead,
    )
    task_create(
        actor=actor,
        patient=patient,
        episode=episode,
        kind=TaskKind.FIRST_CONTACT,
        title="First contact with the patient and family",
        due=min(referral.first_contact_due, first_visit_due)
        if referral.first_contact_due >= today
        else today,
        discipline=lead.discipline,
        assigned_to=lead,
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.accept",
        target=referral,
        program=referral.program,
        patient=patient,
    )
    _letter_queue(
        referral,
        Letter.Kind.ACCEPTED,
        f"Referral {referral.reference} accepted",
        {"first_visit_due": first_visit_due},
    )
    return episode


@transaction.atomic
def referral_decline(
    *, actor: Any, referral: Referral, expected_version: int, reason: str, note: str = ""
) -> Referral:
    _assert_open(referral)
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": ["Choose a reason for declining."]})
    if reason == DeclineReason.OTHER and not note.strip():
        raise ValidationError({"note": ["Explain the reason."]})
    _check_decision_note(note)
    referral.status = Status.DECLINED
    referral.decision_reason = reason
    referral.decision_note = note.strip()
    referral.decided_at = clock.now()
    referral.decided_by = actor
    _save(
        referral,
        expected_version,
        ["status", "decision_reason", "decision_note", "decided_at", "decided_by"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.decline",
        target=referral,
        program=referral.program,
        patient=referral.patient,
    )
    _letter_queue(referral, Letter.Kind.DECLINED, f"Referral {referral.reference}: decision")
    return referral


@transaction.atomic
def referral_redirect(
    *, actor: Any, referral: Referral, expected_version: int, to: str, note: str = ""
) -> Referral:
    _assert_open(referral)
    if not to.strip() or len(to) > 200:
        raise ValidationError({"to": ["Name the agency the referral goes to."]})
    _check_decision_note(note)
    referral.status = Status.REDIRECTED
    referral.redirected_to = to.strip()
    referral.decision_note = note.strip()
    referral.decided_at = clock.now()
    referral.decided_by = actor
    _save(
        referral,
        expected_version,
        ["status", "redirected_to", "decision_note", "decided_at", "decided_by"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.redirect",
        target=referral,
        program=referral.program,
        patient=referral.patient,
    )
    _letter_queue(referral, Letter.Kind.REDIRECTED, f"Referral {referral.reference}: redirected")
    return referral


@transaction.atomic
def referral_hold(
    *, actor: Any, referral: Referral, expected_version: int, information_requested: str
) -> Referral:
    """Hold the referral awaiting information; the referrer is asked for it."""
    _assert_open(referral)
    text = information_requested.strip()
    if not text:
        raise ValidationError({"information_requested": ["Say what information is needed."]})
    _check_decision_note(text, field_name="information_requested")
    _acknowledge(referral)
    referral.status = Status.ON_HOLD
    referral.information_requested = text
    _save(referral, expected_version, ["status", "information_requested"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.hold",
        target=referral,
        program=referral.program,
        patient=referral.patient,
    )
    _letter_queue(
        referral, Letter.Kind.INFO_REQUEST, f"Referral {referral.reference}: information needed"
    )
    return referral


@transaction.atomic
def referral_resume(*, actor: Any, referral: Referral, expected_version: int) -> Referral:
    if referral.status != Status.ON_HOLD:
        raise ValidationError("Only a referral on hold can be resumed.")
    referral.status = Status.IN_REVIEW
    _save(referral, expected_version, ["status"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="referral.resume",
        target=referral,
        program=referral.program,
        patient=referral.patient,
    )
    return referral


def _check_decision_note(note: str, field_name: str = "note") -> None:
    errors: dict[str, list[str]] = {}
    check_text(errors, field_name, note, 2000)
    if errors:
        raise ValidationError(errors)

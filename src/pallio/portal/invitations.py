"""Invitations to the portal: a single-use link by email that expires, as for the staff.

A member of the patient's care team (or a program-wide role) with the ``portal.manage``
privilege invites the patient, or a family member recorded on the chart (acp.HealthcareAgent),
with the scopes the patient agreed to. The link's secret is in the email alone; only its
SHA-256 hash is stored. Opening it lets the invitee choose a username and a password: that
makes a portal account (kind "portal", no program) and its PortalAccess to the patient.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from pallio.accounts.invitations import (
    TOKEN_BYTES,
    TOKEN_MAX_LENGTH,
    InvitationUnusable,
    _clean_email,
    invitation_token_hash,
)
from pallio.accounts.models import AccountKind, User
from pallio.accounts.services import username_taken
from pallio.acp.models import HealthcareAgent
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.privileges import privilege_check
from pallio.portal.models import (
    ALL_SCOPES,
    PORTAL_INVITATION_DAYS,
    PortalAccess,
    PortalInvitation,
    PortalRelation,
)

PRIVILEGE = "portal.manage"
LANGUAGES = ("en", "es")

LinkBuilder = Callable[[str], str]

__all__ = [
    "InvitationUnusable",
    "portal_invitation_accept",
    "portal_invitation_create",
    "portal_invitation_for_token",
    "portal_invitation_withdraw",
]


def team_check(actor: Any, patient: Any) -> None:
    """The privilege first (the same plain refusal on every path), then the patient: the
    actor must reach them (their care team, a program-wide role)."""
    privilege_check(actor, PRIVILEGE)
    if not access.can_access_patient(actor, patient):
        raise PermissionDenied("You can only do this for a patient whose care you can see.")


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = [str(s) for s in scopes]
    unknown = [s for s in chosen if s not in ALL_SCOPES]
    if unknown:
        raise ValidationError({"scopes": _("Choose what they may see from the list.")})
    return [s for s in ALL_SCOPES if s in chosen]


def _open_patient_access(patient: Any) -> bool:
    return PortalAccess.objects.filter(
        patient=patient, relation=PortalRelation.PATIENT, revoked_at__isnull=True
    ).exists()


@transaction.atomic
def portal_invitation_create(
    *,
    actor: Any,
    patient: Any,
    email: str,
    link_for: LinkBuilder,
    person: HealthcareAgent | None = None,
    scopes: Iterable[str] = (),
    language: str = "en",
) -> PortalInvitation:
    """Invite the patient (no `person`) or a family member (`person`, with `scopes`) by email.

    A newer invitation for the same patient and address withdraws the older ones still open.
    The email is sent inside the transaction: if the mail server refuses it, nothing is kept."""
    team_check(actor, patient)
    email = _clean_email(email)
    if language not in LANGUAGES:
        raise ValidationError({"language": "Choose English or Spanish."})
    if person is None:
        relation = PortalRelation.PATIENT
        granted: list[str] = []
        if _open_patient_access(patient):
            raise ValidationError(
                "The patient already has a portal account. They can reset their password "
                "from the sign-in page."
            )
    else:
        if person.patient_id != patient.pk or person.entered_in_error:
            raise ValidationError({"person": "Choose a family member from this patient's chart."})
        relation = PortalRelation.CAREGIVER
        granted = clean_scopes(scopes)
    now = clock.now()
    PortalInvitation.objects.filter(
        patient=patient, email__iexact=email, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = PortalInvitation.objects.create(
        program_id=patient.program_id,
        patient=patient,
        email=email,
        relation=relation,
        person=person,
        scopes=granted,
        language=language,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(days=PORTAL_INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="portal.invitation_create",
        target=invitation,
        patient=patient,
        program=patient.program,
        detail={"relation": relation, "scopes": granted},
    )
    with translation.override(language):
        context = {
            "invitation": invitation,
            "program": patient.program,
            "link": link_for(token),
            "days": PORTAL_INVITATION_DAYS,
            "inviter": actor.display_name,
            "name": person.name if person is not None else patient.given_name,
        }
        subject = _("%(program)s invites you to its patient and family pages") % {
            "program": patient.program.name
        }
        body = render_to_string("portal/email/invitation.txt", context)
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return invitation


@transaction.atomic
def portal_invitation_withdraw(*, actor: Any, invitation: PortalInvitation) -> None:
    team_check(actor, invitation.patient)
    locked = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.used_at is not None or locked.revoked_at is not None:
        return
    locked.revoked_at = clock.now()
    locked.save(update_fields=["revoked_at"])
    invitation.revoked_at = locked.revoked_at
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="portal.invitation_revoke",
        target=locked,
        patient=locked.patient,
        program=locked.program,
    )


def portal_invitation_for_token(token: str) -> PortalInvitation | None:
    """The invitation a link names, whatever its state; None for a link that names none."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        PortalInvitation.objects.select_related("program", "patient", "person")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def _names_of(invitation: PortalInvitation) -> tuple[str, str]:
    if invitation.person is not None:
        first, _sep, last = invitation.person.name.strip().partition(" ")
        return first[:150], last.strip()[:150]
    patient = invitation.patient
    return (patient.preferred_name or patient.given_name)[:150], patient.family_name[:150]


@transaction.atomic
def portal_invitation_accept(*, token: str, username: str, password: str) -> User:
    """Make the invitee's portal account and its access from an open invitation, and close
    the invitation. A taken username or a weak password raises ValidationError and leaves the
    invitation open; a used, withdrawn, expired or unknown link raises InvitationUnusable and
    changes nothing."""
    found = portal_invitation_for_token(token)
    if found is None:
        raise InvitationUnusable("unknown")
    invitation = (
        PortalInvitation.objects.select_for_update(of=("self",))
        .select_related("program", "patient", "person")
        .get(pk=found.pk)
    )
    state = invitation.state(clock.now())
    if state != "open":
        raise InvitationUnusable(state)
    if invitation.patient.entered_in_error:
        raise InvitationUnusable("revoked")
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("Choose a username.")})
    if username_taken(username):
        raise ValidationError({"username": _("That username is taken. Choose another one.")})
    if invitation.relation == PortalRelation.PATIENT and _open_patient_access(invitation.patient):
        raise InvitationUnusable("used")
    first, last = _names_of(invitation)
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=invitation.email,
        kind=AccountKind.PORTAL,
        program=None,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            {"username": _("That username is taken. Choose another one.")}
        ) from None
    portal_access = PortalAccess.objects.create(
        program_id=invitation.program_id,
        patient=invitation.patient,
        user=user,
        relation=invitation.relation,
        person=invitation.person,
        scopes=list(invitation.scopes or []),
        granted_by=invitation.invited_by,
    )
    invitation.used_at = clock.now()
    invitation.used_by = user
    invitation.save(update_fields=["used_at", "used_by"])
    audit_record(
        actor=user,
        action=Action.CREATE,
        event="portal.invitation_accept",
        target=portal_access,
        patient=invitation.patient,
        program=invitation.program,
        detail={"relation": invitation.relation, "scopes": portal_access.scopes},
    )
    return user

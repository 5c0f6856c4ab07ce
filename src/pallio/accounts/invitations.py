"""Invitations to join a program's staff: a single-use link by email that expires.

The link's secret is in the email alone; only its SHA-256 hash is stored. Opening the link
lets the invitee choose a username and a password; the account then gets the role,
discipline and trainee status the administrator chose, and the invitee sets up a second
factor before anything else.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from pallio.accounts.models import INVITATION_DAYS, Invitation, Role, User
from pallio.accounts.services import (
    staff_admin_check,
    staff_create_unchecked,
    staff_training_check,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.programs.models import Program
from pallio.programs.services import program_create

# A link is made of this many random bytes (URL-safe base64): far beyond guessing.
TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 100

LinkBuilder = Callable[[str], str]


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _clean_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": "Enter an email address such as name@example.org."}
        ) from None
    return email


@transaction.atomic
def invitation_create_unchecked(
    *,
    actor: Any,
    program: Program,
    email: str,
    role: str,
    discipline: str,
    link_for: LinkBuilder,
    first_name: str = "",
    last_name: str = "",
    training_level: str = "",
    supervisor: User | None = None,
) -> Invitation:
    """Make the invitation and email its link; the caller has decided that `actor` may.
    A newer invitation to the same address withdraws the older ones still open."""
    email = _clean_email(email)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    if discipline not in Discipline.values:
        raise ValidationError({"discipline": "Choose a discipline from the list."})
    staff_training_check(program=program, user=None, level=training_level, supervisor=supervisor)
    now = clock.now()
    Invitation.objects.filter(
        program=program, email__iexact=email, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation.objects.create(
        program=program,
        email=email,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        role=role,
        discipline=discipline,
        training_level=training_level,
        supervisor=supervisor,
        token_hash=invitation_token_hash(token),
        invited_by=actor if getattr(actor, "pk", None) else None,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="invitation.create",
        target=invitation,
        program=program,
        detail={"email": email, "role": role, "discipline": discipline},
    )
    # Sent inside the transaction: if the mail server refuses it, no invitation is left.
    context = {
        "invitation": invitation,
        "program": program,
        "link": link_for(token),
        "days": INVITATION_DAYS,
        "inviter": actor.display_name if getattr(actor, "pk", None) else "",
    }
    send_mail(
        subject=f"You are invited to join {program.name} on Pallio",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return invitation


def invitation_create(
    *,
    actor: Any,
    program: Program,
    email: str,
    role: str,
    discipline: str,
    link_for: LinkBuilder,
    first_name: str = "",
    last_name: str = "",
    training_level: str = "",
    supervisor: User | None = None,
) -> Invitation:
    """Invite someone to `program`'s staff by email (a program administrator of it)."""
    staff_admin_check(actor, program)
    return invitation_create_unchecked(
        actor=actor,
        program=program,
        email=email,
        role=role,
        discipline=discipline,
        link_for=link_for,
        first_name=first_name,
        last_name=last_name,
        training_level=training_level,
        supervisor=supervisor,
    )


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> None:
    staff_admin_check(actor, invitation.program)
    if invitation.used_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="invitation.revoke",
        target=invitation,
        program=invitation.program,
        detail={"email": invitation.email},
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state; None for a link that names none."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Invitation.objects.select_related("program")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


class InvitationUnusable(Exception):
    """The link was used, withdrawn, has expired or names no invitation."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


@transaction.atomic
def invitation_accept(
    *, token: str, username: str, password: str, first_name: str, last_name: str
) -> User:
    """Make the invitee's account from an open invitation and close the invitation.

    A taken username or a weak password raises ValidationError and leaves the invitation
    open; a used, withdrawn, expired or unknown link raises InvitationUnusable."""
    found = invitation_for_token(token)
    if found is None:
        raise InvitationUnusable("unknown")
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    state = invitation.state(clock.now())
    if state != "open":
        raise InvitationUnusable(state)
    username = username.strip()
    first_name, last_name = first_name.strip(), last_name.strip()
    problems: dict[str, str] = {}
    if not username:
        problems["username"] = "Choose a username."
    if not first_name or not last_name:
        problems["first_name"] = "Give your first and last name."
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            user = staff_create_unchecked(
                actor=invitation.invited_by,
                program=invitation.program,
                username=username,
                first_name=first_name,
                last_name=last_name,
                email=invitation.email,
                role=invitation.role,
                discipline=invitation.discipline,
                training_level=invitation.training_level,
                supervisor=invitation.supervisor,
                password=password,
            )
    except IntegrityError:
        # Taken by someone else at the same moment.
        raise ValidationError({"username": "That username is taken. Choose another one."}) from None
    invitation.used_at = clock.now()
    invitation.used_by = user
    invitation.save(update_fields=["used_at", "used_by"])
    audit_record(
        actor=user,
        action=Action.UPDATE,
        event="invitation.accept",
        target=invitation,
        program=invitation.program,
        detail={"username": user.username},
    )
    return user


# --- a new program and its first administrator ---------------------------------------------


@transaction.atomic
def program_create_with_administrator(
    *,
    actor: Any,
    name: str,
    slug: str,
    timezone: str,
    admin_email: str,
    link_for: LinkBuilder,
    admin_first_name: str = "",
    admin_last_name: str = "",
) -> tuple[Program, Invitation]:
    """A program administrator starts another program and invites its first administrator,
    who then runs it; the creator gets no access to the new program."""
    if not access.has_perm(actor, "program.manage"):
        raise PermissionDenied("Only a program administrator can start a program.")
    admin_email = _clean_email(admin_email)
    program = program_create(name=name.strip(), slug=slug.strip(), timezone=timezone.strip())
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="program.create",
        target=program,
        program=actor.program,
        detail={"name": program.name, "slug": program.slug, "timezone": program.timezone},
    )
    invitation = invitation_create_unchecked(
        actor=actor,
        program=program,
        email=admin_email,
        role=Role.PROGRAM_ADMIN,
        discipline=Discipline.ADMINISTRATION,
        link_for=link_for,
        first_name=admin_first_name,
        last_name=admin_last_name,
    )
    return program, invitation

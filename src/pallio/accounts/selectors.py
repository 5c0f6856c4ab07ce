"""Reads of the staff pages, scoped to the administrator's own program."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from pallio.accounts.models import Invitation, SecondFactorReset, User
from pallio.core import clock


def staff_list_for(actor: Any) -> QuerySet[User]:
    """The program's staff, active first, with whether each has a second factor."""
    factor = Authenticator.objects.filter(user_id=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return (
        User.objects.filter(program_id=actor.program_id)
        .select_related("supervisor")
        .annotate(has_second_factor=Exists(factor))
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def staff_member_get_for(actor: Any, staff_id: Any) -> User:
    """A staff member of the actor's own program; 404 otherwise, as for one that is not."""
    user = User.objects.filter(uuid=staff_id, program_id=actor.program_id).first()
    if user is None:
        raise Http404
    return user


def pending_resets_for(actor: Any) -> dict[int, SecondFactorReset]:
    resets = SecondFactorReset.objects.filter(
        program_id=actor.program_id, approved_at__isnull=True, cancelled_at__isnull=True
    ).select_related("requested_by")
    return {r.user_id: r for r in resets}


def open_invitations_for(actor: Any) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        program_id=actor.program_id,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).select_related("invited_by")


def invitation_get_for(actor: Any, invitation_id: Any) -> Invitation:
    invitation = Invitation.objects.filter(pk=invitation_id, program_id=actor.program_id).first()
    if invitation is None:
        raise Http404
    return invitation

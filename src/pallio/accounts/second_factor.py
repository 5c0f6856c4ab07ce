"""Resetting a lost second factor takes two program administrators: one asks, with a
reason; another approves. Only then are the staff member's authenticators removed, so that
they set up a new one at their next sign-in (accounts/middleware.py)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pallio.accounts.models import SecondFactorReset, User
from pallio.accounts.services import staff_admin_check, staff_sessions_end
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock

REASON_MAX = 1000


def second_factor_is_set_up(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@transaction.atomic
def second_factor_reset_request(*, actor: Any, user: User, reason: str) -> SecondFactorReset:
    """Ask for `user`'s authenticators to be removed; another administrator must approve."""
    if actor is None:
        raise PermissionDenied("A reset is asked for by a program administrator, signed in.")
    staff_admin_check(actor, user.program)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the second factor must be reset."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    if not user.is_active or user.program is None:
        raise ValidationError("This account is deactivated.")
    try:
        with transaction.atomic():
            reset = SecondFactorReset.objects.create(
                program=user.program, user=user, reason=reason, requested_by=actor
            )
    except IntegrityError:
        raise ValidationError("A reset for this person is already waiting for approval.") from None
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="second_factor.reset_request",
        target=user,
        program=user.program,
        detail={"reason": reason, "request": str(reset.pk)},
    )
    return reset


def _pending(reset: SecondFactorReset) -> SecondFactorReset:
    locked = SecondFactorReset.objects.select_for_update().select_related("user").get(pk=reset.pk)
    if not locked.pending:
        raise ValidationError("This request was already approved or withdrawn.")
    return locked


@transaction.atomic
def second_factor_reset_approve(*, actor: Any, reset: SecondFactorReset) -> int:
    """A second administrator approves: the authenticators (app and recovery codes) are
    removed and the person's sessions end. Returns how many authenticators were removed."""
    if actor is None:
        raise PermissionDenied("A reset is approved by a program administrator, signed in.")
    staff_admin_check(actor, reset.program)
    reset = _pending(reset)
    if actor.pk == reset.requested_by_id:
        raise PermissionDenied("Another administrator must approve a reset you asked for.")
    if actor.pk == reset.user_id:
        raise PermissionDenied("Another administrator must approve a reset of your own account.")
    user = reset.user
    removed, _ = Authenticator.objects.filter(user=user).delete()
    ended = staff_sessions_end(user)
    reset.approved_by = actor
    reset.approved_at = clock.now()
    reset.save(update_fields=["approved_by", "approved_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="second_factor.reset_approve",
        target=user,
        program=reset.program,
        detail={"request": str(reset.pk), "removed": removed, "sessions_ended": ended},
    )
    return removed


@transaction.atomic
def second_factor_reset_cancel(*, actor: Any, reset: SecondFactorReset) -> None:
    """Withdraw a request still waiting (any administrator of the program)."""
    if actor is None:
        raise PermissionDenied("A reset is withdrawn by a program administrator, signed in.")
    staff_admin_check(actor, reset.program)
    reset = _pending(reset)
    reset.cancelled_at = clock.now()
    reset.save(update_fields=["cancelled_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="second_factor.reset_cancel",
        target=reset.user,
        program=reset.program,
        detail={"request": str(reset.pk)},
    )

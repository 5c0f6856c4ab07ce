"""Sign-in, sign-out and failed sign-in go to the audit trail (ONC 170.315(d)(2))."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pallio.audit.models import Action, Outcome
from pallio.audit.services import audit_record
from pallio.core.logging import escape_controls


@receiver(user_logged_in)
def audit_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.LOGIN, event="account.sign_in", target=user)


@receiver(user_logged_out)
def audit_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=Action.LOGOUT, event="account.sign_out", target=user)


@receiver(user_login_failed)
def audit_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The username typed is kept (escaped, shortened); the password never is.
    typed = str(credentials.get("username") or credentials.get("login") or "")
    audit_record(
        actor=None,
        action=Action.LOGIN_FAILED,
        event="account.sign_in_failed",
        outcome=Outcome.FAILURE,
        detail={"username": escape_controls(typed)[:150]},
    )

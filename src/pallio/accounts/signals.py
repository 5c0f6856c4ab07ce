"""Sign-in, sign-out, failed sign-in and refused attempts go to the audit trail
(ONC 170.315(d)(2), SECURITY.md 10 and 13)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import signals as mfa_signals
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pallio.accounts.middleware import LOGIN_AT_SESSION_KEY, SEEN_AT_SESSION_KEY
from pallio.audit.models import Action, Outcome
from pallio.audit.services import audit_record, denial_record
from pallio.core.logging import escape_controls


@receiver(user_logged_in)
def start_session_clocks(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The absolute and idle timeouts count from sign-in (accounts.middleware), written with
    the session the sign-in saves anyway, so the first page after it writes nothing."""
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[LOGIN_AT_SESSION_KEY] = now
        session[SEEN_AT_SESSION_KEY] = now


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


# --- refusals: wrong and throttled authenticator codes, throttled sign-ins -----------------


def claimed_user(typed: str) -> Any:
    """The account a sign-in attempt named, if there is one."""
    from pallio.accounts.models import User

    typed = typed.strip()
    return User.objects.filter(username__iexact=typed).first() if typed else None


@receiver(mfa_signals.authentication_failed)
def audit_second_factor_failed(
    sender: Any, request: Any, user: Any, reauthentication: bool = False, **kwargs: Any
) -> None:
    denial_record(
        actor=user,
        action=Action.LOGIN,
        event="account.second_factor_failed",
        detail={"reauthentication": bool(reauthentication)},
    )


def audit_second_factor_throttled(*, user: Any, reauthentication: bool) -> None:
    denial_record(
        actor=user,
        action=Action.LOGIN,
        event="account.second_factor_throttled",
        detail={"reauthentication": reauthentication},
    )


def audit_sign_in_throttled(*, typed: str, by: str) -> None:
    """A sign-in refused for too many failures: by django-axes' lockout or allauth's limit.
    The event names the account the attempt claimed (the password was not checked)."""
    denial_record(
        actor=claimed_user(typed),
        action=Action.LOGIN,
        event="account.sign_in_throttled",
        detail={"username": escape_controls(typed)[:150], "by": by},
    )


@receiver(user_locked_out)
def audit_locked_out(sender: Any, request: Any = None, username: Any = None, **kwargs: Any) -> None:
    audit_sign_in_throttled(typed=str(username or ""), by="lockout")

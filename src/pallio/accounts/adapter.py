from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by the program, never by self-signup."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth refuses a sign-in before the password is checked once too many failed
        for the account; that refusal goes to the audit trail."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as refusal:
            if refusal.code == "too_many_login_attempts":
                from pallio.accounts.signals import audit_sign_in_throttled

                typed = str(credentials.get("username") or credentials.get("login") or "")
                audit_sign_in_throttled(typed=typed, by="rate limit")
            raise

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Count failed sign-ins per (username, address) pair, as django-axes does: a guessed
        username tried from elsewhere, or a hospital's shared address, locks out no one else."""
        login = str(credentials.get("username", "")).strip().lower()
        return f"{login}|{request.META.get('REMOTE_ADDR', '')}"


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username django-axes counts failures against (with the address: the pair is what
    gets locked): allauth passes it as `username`, its form posts `login`."""
    for source in (credentials or {}, getattr(request, "POST", {})):
        for key in ("username", "login"):
            value = source.get(key)
            if value:
                return str(value).strip().lower()
    return None

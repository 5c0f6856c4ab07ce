"""The authenticator-code forms of django-allauth, with throttled attempts on the record.

A wrong code is recorded by the `authentication_failed` receiver in signals.py; a code
refused because too many were tried is refused before it is checked, so it is recorded here.
"""

from __future__ import annotations

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django.core.exceptions import ValidationError

from pallio.accounts.signals import audit_second_factor_throttled

THROTTLED_CODES = {"too_many_login_attempts", "rate_limited"}


class AuditedAuthenticateForm(AuthenticateForm):
    def clean_code(self) -> str:
        try:
            return super().clean_code()
        except ValidationError as refusal:
            if refusal.code in THROTTLED_CODES:
                audit_second_factor_throttled(user=self.user, reauthentication=False)
            raise


class AuditedReauthenticateForm(ReauthenticateForm):
    def clean_code(self) -> str:
        try:
            return super().clean_code()
        except ValidationError as refusal:
            if refusal.code in THROTTLED_CODES:
                audit_second_factor_throttled(user=self.user, reauthentication=True)
            raise

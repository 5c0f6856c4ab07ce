"""`pallio totp USERNAME`: print a demo user's current authenticator code.

Outside production only: it reads the secret the demo loader stored.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pallio.accounts.models import User


def current_code(secret: str) -> str:
    import pyotp

    return str(pyotp.TOTP(secret).now())


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo user (not in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Not available in production.")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError("That user has no authenticator set up.")
        self.stdout.write(current_code(decrypt(authenticator.data["secret"])))

"""`pallio apitoken create USERNAME --name NAME [--days N]`: make a personal API token and
print its secret once. `pallio apitoken list USERNAME` and `pallio apitoken revoke PREFIX`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pallio.accounts.models import ApiToken, User
from pallio.accounts.services import api_token_create, api_token_revoke
from pallio.core import clock


class Command(BaseCommand):
    help = "Make, list or revoke staff members' personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token and print its secret once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--days", type=int, default=90, help="lifetime (default 90)")
        listing = sub.add_parser("list", help="a user's tokens (never their secrets)")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="end a token at once")
        revoke.add_argument("prefix", help="the token's prefix as shown by `list`")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = self._user(options["username"])
            try:
                token, secret = api_token_create(
                    actor=user, name=options["name"], days=options["days"]
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stderr.write(
                f"Token '{token.name}' for {user.get_username()} expires "
                f"{token.expires_at:%Y-%m-%d}. Keep the secret safe: it is not shown again."
            )
            self.stdout.write(secret)
        elif action == "list":
            user = self._user(options["username"])
            now = clock.now()
            for token in ApiToken.objects.filter(user=user).select_related("user"):
                state = "active" if token.is_usable(now) else "ended"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.prefix}\t{token.name}\t{state}\t"
                    f"expires {token.expires_at:%Y-%m-%d}\tlast used {used}"
                )
        else:
            matches = list(ApiToken.objects.filter(prefix=options["prefix"]).select_related("user"))
            if len(matches) != 1:
                raise CommandError("No single token has that prefix.")
            api_token_revoke(actor=None, token=matches[0])
            self.stdout.write(f"Revoked {matches[0]}.")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError("No such user.")
        return user

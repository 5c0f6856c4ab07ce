"""`pallio staff`: add, deactivate or change the role of a program's staff accounts.

    pallio staff add --program SLUG --username U --first F --last L --role R --discipline D
    pallio staff role USERNAME ROLE
    pallio staff deactivate USERNAME

The new user sets up their authenticator app at first sign-in.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pallio.accounts.models import Role, User
from pallio.accounts.services import staff_change_role, staff_create, staff_deactivate
from pallio.core.codes import Discipline
from pallio.programs.models import Program


class Command(BaseCommand):
    help = "Manage staff accounts: add, role, deactivate."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add")
        add.add_argument("--program", required=True, help="the program's slug")
        add.add_argument("--username", required=True)
        add.add_argument("--first", required=True)
        add.add_argument("--last", required=True)
        add.add_argument("--email", default="")
        add.add_argument("--credentials", default="", help="e.g. MD, RN, LCSW")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--discipline", required=True, choices=Discipline.values)
        role = sub.add_parser("role")
        role.add_argument("username")
        role.add_argument("role", choices=Role.values)
        deactivate = sub.add_parser("deactivate")
        deactivate.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        if action == "role":
            staff_change_role(actor=None, user=user, role=options["role"])
            self.stdout.write(
                f"{user.username} is now {user.get_role_display()}; their sessions have ended."
            )
        else:
            staff_deactivate(actor=None, user=user)
            self.stdout.write(f"{user.username} is deactivated; their sessions have ended.")

    def _add(self, options: dict[str, Any]) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError("No such program.")
        password = getpass.getpass("Password for the new account (12+ characters): ")
        try:
            user = staff_create(
                actor=None,
                program=program,
                username=options["username"],
                first_name=options["first"],
                last_name=options["last"],
                email=options["email"],
                credentials=options["credentials"],
                role=options["role"],
                discipline=options["discipline"],
                password=password,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Created {user.username} in {program.name}.")

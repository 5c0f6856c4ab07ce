"""`pallio demo --patients N --seed S`: load the demo programs (once);
`pallio demo --logins`: print the demo accounts and how to sign in as them."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pallio.programs.demo import DEMO_PASSWORD, DemoRefused, demo_load, demo_logins


class Command(BaseCommand):
    help = "Load the demo programs (deterministic for a seed; a second run changes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=200, help="patients (default 200)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--referrals",
            type=int,
            default=None,
            help="referrals in all (default 1.4 per patient; at least one per patient)",
        )
        parser.add_argument(
            "--logins", action="store_true", help="print the demo accounts instead of loading"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo is not available in production.")
        if options["logins"]:
            self._print_logins()
            return
        if options["patients"] < 1:
            raise CommandError("--patients must be at least 1.")
        started = time.monotonic()
        try:
            result = demo_load(
                patients=options["patients"],
                seed=options["seed"],
                referrals=options["referrals"],
                progress=not options["no_progress"] and options["verbosity"] > 0,
            )
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if not result.created:
            self.stdout.write(
                f"The demo program is already loaded (seed {result.seed}, {result.patients} "
                f"patients, {result.referrals} referrals): nothing changed."
            )
            asked = (options["seed"], options["patients"])
            if asked != (result.seed, result.patients):
                self.stdout.write(
                    "To load a different demo, start from an empty database "
                    "(for SQLite: remove var/pallio.sqlite3, then `make demo`)."
                )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo program: {result.patients} patients, {result.referrals} "
                f"referrals (seed {result.seed}), and {result.north_patients} patients in "
                f"demo-north, in {time.monotonic() - started:.1f} s."
            )
        )
        self.stdout.write("`pallio demo --logins` lists the accounts to sign in with.")

    def _print_portal_logins(self) -> None:
        from pallio.portal.access_demo import portal_demo_logins

        rows = portal_demo_logins()
        if not rows:
            return
        self.stdout.write("")
        self.stdout.write("Patient and family portal (no authenticator needed):")
        for r in rows:
            self.stdout.write(f"  {r.username}  {DEMO_PASSWORD}  {r.who}, for {r.patient}")

    def _print_logins(self) -> None:
        rows = demo_logins()
        if not rows:
            raise CommandError("No demo program is loaded: run `pallio demo` first.")
        header = ("username", "program", "role", "discipline", "password", "TOTP secret")
        table = [header] + [
            (r.username, r.program, r.role, r.discipline, DEMO_PASSWORD, r.totp_secret)
            for r in rows
        ]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        for n, row in enumerate(table):
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self._print_portal_logins()
        self.stdout.write("")
        self.stdout.write(
            "Sign in at /accounts/login/ with a username and the password above; "
            "`pallio totp USERNAME` prints the current authenticator code "
            "(or add the TOTP secret to an authenticator app)."
        )

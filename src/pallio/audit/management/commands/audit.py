"""`pallio audit verify`: walk the hash chain and name the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pallio.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. `verify` checks the tamper-evident hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_verify()
        if broken is not None:
            where = f"event #{broken.pk}" if broken.pk else "the end of the chain"
            raise CommandError(
                f"Audit chain broken at {where} ({broken.event}); "
                f"{checked} events before it verified."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))

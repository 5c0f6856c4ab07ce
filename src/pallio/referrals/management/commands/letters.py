"""`pallio letters retry`: queue every unsent letter to referrers for sending now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pallio.referrals.tasks import letters_retry_unsent


class Command(BaseCommand):
    help = "Letters to referrers. `retry` queues every unsent letter for sending now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["retry"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = letters_retry_unsent()
        self.stdout.write(f"{count} unsent letters queued.")

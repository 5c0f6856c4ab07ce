"""`pallio summaries retry`: queue every visit summary not yet sent for sending now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pallio.visits.summaries import summaries_retry_failed


class Command(BaseCommand):
    help = "Visit summaries. `retry` queues every failed or waiting delivery for sending now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["retry"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = summaries_retry_failed()
        self.stdout.write(f"{count} unsent visit summaries queued.")

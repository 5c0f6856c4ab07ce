"""`pallio coordination sweep`: give the care coordinator one follow-up task for each open
order its agency has not confirmed (delivered or started) in time. Run it each minute beside
`pallio support sweep`; idempotent: an order gets one task however often it runs."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pallio.coordination.services import follow_ups_create_all


class Command(BaseCommand):
    help = "Make follow-up tasks for orders the agency has not confirmed in time."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="make the follow-up tasks now")

    def handle(self, *args: Any, **options: Any) -> None:
        made = follow_ups_create_all()
        self.stdout.write(f"made {made} coordination follow-up task(s)")

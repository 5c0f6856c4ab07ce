"""`pallio roster check`: flag to each program's care coordinators the stretches of the coming
days (program setting support_roster_gap_days) with a line of the on-call roster uncovered.
Idempotent: one flag, and one email, per gap however often it runs."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pallio.support.roster import roster_check_all


class Command(BaseCommand):
    help = "Flag gaps in the coming days of the on-call roster to the care coordinators."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check")

    def handle(self, *args: Any, **options: Any) -> None:
        flagged = roster_check_all()
        self.stdout.write(f"flagged {flagged} new roster gap(s)")

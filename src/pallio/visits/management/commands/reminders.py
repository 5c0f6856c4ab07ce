"""`pallio reminders sweep`: queue the visit reminder sweep for the background worker (or, with
--now, run it here). Run it each minute beside `pallio alerts sweep`; a reminder is sent once
however often it runs."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pallio.visits.reminder_tasks import visit_reminders_enqueue
from pallio.visits.reminders import reminders_sweep


class Command(BaseCommand):
    help = "Send the visit reminders whose time has come (queued for the worker, or --now)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="queue the reminder sweep for the worker")
        sweep.add_argument("--now", action="store_true", help="run the sweep here, now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            self.stdout.write(f"visit reminders: {reminders_sweep()}")
        elif visit_reminders_enqueue():
            self.stdout.write("queued the visit reminder sweep")
        else:
            self.stdout.write("a visit reminder sweep is already waiting")

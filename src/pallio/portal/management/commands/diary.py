"""`pallio diary sweep`: queue the symptom diary reminder sweep for the background worker (or,
with --now, run it here). Run it each minute beside `pallio reminders sweep`; a reminder is
sent once per due day however often it runs."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pallio.portal.diary_reminders import diary_reminders_sweep
from pallio.portal.diary_tasks import diary_reminders_enqueue


class Command(BaseCommand):
    help = "Send the symptom diary reminders that are due (queued for the worker, or --now)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="queue the diary reminder sweep for the worker")
        sweep.add_argument("--now", action="store_true", help="run the sweep here, now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            self.stdout.write(f"diary reminders: {diary_reminders_sweep()}")
        elif diary_reminders_enqueue():
            self.stdout.write("queued the diary reminder sweep")
        else:
            self.stdout.write("a diary reminder sweep is already waiting")

"""`pallio support sweep`: queue the 24/7 line's escalation of calls nobody called back, and
the morning hand-off's follow-up tasks, for the background worker (run it each minute).
With --now the sweep runs here instead, without a worker."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from pallio.programs.models import Program
from pallio.support.escalation import calls_escalate
from pallio.support.handoff import handoff_follow_ups_build
from pallio.support.tasks import STALE_AFTER, support_sweeps_enqueue


class Command(BaseCommand):
    help = "Escalate calls to the 24/7 line nobody called back; build the morning hand-off."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="queue one sweep per program for the worker")
        sweep.add_argument(
            "--stale-minutes",
            type=float,
            default=STALE_AFTER.total_seconds() / 60,
            help="mark failed a sweep a worker left running this many minutes ago",
        )
        sweep.add_argument(
            "--now", action="store_true", help="run the sweep here rather than queue it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["now"]:
            runs = support_sweeps_enqueue(stale_after=timedelta(minutes=options["stale_minutes"]))
            self.stdout.write(f"queued {runs} support line sweep(s)")
            return
        steps = pages = tasks = 0
        for program in Program.objects.order_by("pk"):
            result = calls_escalate(program=program)
            steps += len(result.steps)
            pages += result.pages_sent
            tasks += len(handoff_follow_ups_build(program=program))
        self.stdout.write(
            f"wrote {steps} escalation step(s), sent {pages} page(s), "
            f"made {tasks} hand-off follow-up task(s)"
        )

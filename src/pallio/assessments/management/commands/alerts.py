"""`pallio alerts sweep`: queue a judging run for symptom reports a stopped worker dropped,
queue the escalation of overdue unacknowledged alerts, and raise the 'expected report
missing' and 'unstable phase too long' alerts of every program."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from pallio.assessments.services import missing_reports_check, unstable_phases_check
from pallio.assessments.tasks import STALE_AFTER, escalations_enqueue, reports_sweep
from pallio.programs.models import Program


class Command(BaseCommand):
    help = (
        "Sweep for unevaluated symptom reports, overdue alerts to escalate, missing expected "
        "reports and unstable phases of care that last too long."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep")
        sweep.add_argument(
            "--stale-minutes",
            type=float,
            default=STALE_AFTER.total_seconds() / 60,
            help="re-queue reports not evaluated this many minutes after they were saved",
        )
        sweep.add_argument("--no-missing", action="store_true", help="skip missing reports")
        sweep.add_argument(
            "--no-phases", action="store_true", help="skip unstable phases that last too long"
        )
        sweep.add_argument(
            "--no-escalate", action="store_true", help="do not queue the escalation of alerts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stale_after = timedelta(minutes=options["stale_minutes"])
        queued = reports_sweep(stale_after=stale_after)
        self.stdout.write(f"{queued} report(s) still not judged: a judging run is queued")
        if not options["no_escalate"]:
            runs = escalations_enqueue(stale_after=stale_after)
            self.stdout.write(f"queued {runs} escalation run(s)")
        if not options["no_missing"]:
            raised = sum(len(missing_reports_check(program=p)) for p in Program.objects.all())
            self.stdout.write(f"raised {raised} missing-report alert(s)")
        if not options["no_phases"]:
            raised = sum(len(unstable_phases_check(program=p)) for p in Program.objects.all())
            self.stdout.write(f"raised {raised} unstable-phase alert(s)")

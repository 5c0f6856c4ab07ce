"""`pallio audit verify`: walk the keyed hash chain against the signed checkpoints and name
the first broken link. `pallio audit checkpoint`: sign the current head into the checkpoint
file (run it periodically; `make run` does it every minute)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pallio.audit.chain import CheckpointRefused, chain_verify, checkpoint_path, checkpoint_write


class Command(BaseCommand):
    help = (
        "Audit trail tools. `verify` checks the tamper-evident chain and its checkpoints; "
        "`checkpoint` appends a signed record of the chain's head to the checkpoint file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "checkpoint"])
        parser.add_argument(
            "--checkpoint-file",
            type=Path,
            default=None,
            help="the checkpoint file (default: PALLIO_AUDIT_CHECKPOINT_FILE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["checkpoint_file"] or checkpoint_path()
        if options["action"] == "checkpoint":
            try:
                point = checkpoint_write(path=path)
            except CheckpointRefused as exc:
                raise CommandError(f"No checkpoint written: {exc}.") from exc
            if point is None:
                self.stdout.write("No new audit events since the last checkpoint.")
            else:
                self.stdout.write(f"Checkpoint written: {point.count} events, head {point.head}.")
            return
        report = chain_verify(checkpoint_file=path)
        if not report.intact:
            raise CommandError(
                f"Audit chain broken at {report.problems[0]}; "
                f"{report.checked} events before it verified."
                + "".join(f"\n  also: {p}" for p in report.problems[1:])
            )
        legacy = f" ({report.plain} written before the chain was keyed)" if report.plain else ""
        if not path.exists():
            where = f"no checkpoint file at {path}"
        else:
            where = f"{report.checkpoints} checkpoint(s) matched"
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} events verified{legacy}; {where}."
            )
        )

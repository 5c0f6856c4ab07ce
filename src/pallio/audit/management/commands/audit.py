"""`pallio audit seal`: chain the audit events written since the last seal (run it with
`--every 1` as a service; `make run` does). `pallio audit verify`: seal what waits, then walk
the chain against the signed checkpoints and name the first broken link.
`pallio audit checkpoint`: sign the current head into the checkpoint file (run it every
minute; `make run` does)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from pallio.audit.chain import (
    UNSEALED_GRACE,
    CheckpointRefused,
    chain_verify,
    checkpoint_path,
    checkpoint_write,
    seal_pending,
    unsealed_waiting,
)
from pallio.core import clock


class Command(BaseCommand):
    help = (
        "Audit trail tools. `seal` chains the events written since the last seal; `verify` "
        "checks the tamper-evident chain and its checkpoints; `checkpoint` appends a signed "
        "record of the chain's head to the checkpoint file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["seal", "verify", "checkpoint"])
        parser.add_argument(
            "--checkpoint-file",
            type=Path,
            default=None,
            help="the checkpoint file (default: PALLIO_AUDIT_CHECKPOINT_FILE)",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="seal: keep sealing, this many seconds apart, until stopped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["checkpoint_file"] or checkpoint_path()
        if options["action"] == "seal":
            self._seal(every=options["every"])
            return
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
        self._seal_before_verify()
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

    def _seal(self, *, every: float) -> None:
        if every <= 0:
            sealed = seal_pending()
            self.stdout.write(f"Sealed {sealed} audit event(s) into the chain.")
            return
        self.stdout.write(f"Sealing audit events every {every:g} s; stop with Ctrl-C.")
        try:
            while True:
                close_old_connections()
                sealed = seal_pending()
                if sealed:
                    self.stdout.write(f"Sealed {sealed} audit event(s).")
                time.sleep(every)
        except KeyboardInterrupt:
            return

    def _seal_before_verify(self) -> None:
        """Seal every event still waiting; say so when the sealer had fallen behind."""
        waiting = unsealed_waiting()
        if not waiting.count:
            return
        seal_pending(window=None)
        if waiting.oldest is not None and waiting.oldest < clock.now() - UNSEALED_GRACE:
            self.stderr.write(
                f"{waiting.count} audit event(s) were waiting for their seal, the oldest "
                f"written {waiting.oldest:%Y-%m-%d %H:%M:%S} UTC: is `pallio audit seal "
                "--every 1` running? They are sealed now."
            )

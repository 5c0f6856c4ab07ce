"""`pallio adt listen --program <slug> [--host 0.0.0.0] [--port 2575]`: receive the
hospitals' HL7 v2 ADT messages (admissions, transfers, discharges, registrations, updates)
over MLLP for one program. Run one listener per program, each on its own port."""

from __future__ import annotations

import asyncio
import signal
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pallio.adt.listener import Listener
from pallio.programs.models import Program


class Command(BaseCommand):
    help = "Receive hospital ADT messages (HL7 v2 over MLLP) for one program."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="listen for HL7 v2 ADT messages over MLLP")
        listen.add_argument("--program", required=True, help="the program's slug")
        listen.add_argument("--host", default="127.0.0.1", help="address to listen on")
        listen.add_argument("--port", type=int, default=2575, help="TCP port (MLLP: 2575)")

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program with the slug {options['program']!r}.")
        if not 0 <= options["port"] <= 65535:
            raise CommandError("The port must be between 0 and 65535.")
        asyncio.run(self._listen(program, options["host"], options["port"]))

    async def _listen(self, program: Program, host: str, port: int) -> None:
        listener = await Listener(program_id=program.pk, host=host, port=port).start()
        self.stdout.write(
            f"Listening for ADT messages for {program.name} on {host}:{listener.port}",
        )
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await listener.stop()
        self.stdout.write("Stopped.")

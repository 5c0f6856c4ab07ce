"""`pallio adt listen --program <slug> [--host 0.0.0.0] [--port 2575] [--allow NETWORK ...]`:
receive the hospitals' HL7 v2 ADT messages (admissions, transfers, discharges,
registrations, updates) over MLLP for one program. Run one listener per program, each on its
own port. Only loopback may connect unless the hospitals' interface engines are allowed."""

from __future__ import annotations

import asyncio
import signal
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pallio.adt.listener import LOOPBACK, Listener, Network, parse_networks
from pallio.programs.models import Program


class Command(BaseCommand):
    help = "Receive hospital ADT messages (HL7 v2 over MLLP) for one program."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="listen for HL7 v2 ADT messages over MLLP")
        listen.add_argument("--program", required=True, help="the program's slug")
        listen.add_argument("--host", default="127.0.0.1", help="address to listen on")
        listen.add_argument("--port", type=int, default=2575, help="TCP port (MLLP: 2575)")
        listen.add_argument(
            "--allow",
            action="append",
            default=[],
            metavar="NETWORK",
            help="an address or network allowed to send (e.g. 10.20.0.0/16), repeatable; "
            "loopback only when none is given",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program with the slug {options['program']!r}.")
        if not 0 <= options["port"] <= 65535:
            raise CommandError("The port must be between 0 and 65535.")
        try:
            allowed = parse_networks(options["allow"]) if options["allow"] else LOOPBACK
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        asyncio.run(self._listen(program, options["host"], options["port"], allowed))

    async def _listen(
        self, program: Program, host: str, port: int, allowed: tuple[Network, ...]
    ) -> None:
        listener = await Listener(
            program_id=program.pk, host=host, port=port, allowed=allowed
        ).start()
        senders = ", ".join(str(network) for network in allowed)
        self.stdout.write(
            f"Listening for ADT messages for {program.name} on {host}:{listener.port} "
            f"(senders allowed: {senders})",
        )
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await listener.stop()
        self.stdout.write("Stopped.")

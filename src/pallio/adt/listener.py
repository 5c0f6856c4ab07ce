"""The MLLP listener: HL7 v2 messages over TCP, framed <VT> message <FS><CR> (HL7 MLLP),
served by python-hl7's asyncio MLLP server (`hl7.mllp`), one listener per program.

Each message is handed to `adt_receive` (stored, matched, applied, in one transaction) and
its acknowledgement written back on the same connection. Bytes that are not a framed
message (noise before a start block, an oversized message) are skipped or refused with an
AE, and the connection goes on being served; a failure inside one message is answered with
an AE and never stops the listener.

Only the hospitals' interface engines may connect: a connection from an address outside the
listener's allowed networks (loopback only unless others are given) is closed before a byte
is read, and logged in one line.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from hl7.mllp import start_hl7_server

from . import acks
from .models import MAX_MESSAGE_BYTES

logger = logging.getLogger(__name__)

# Loopback only, unless the listener is given the hospitals' networks.
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str]) -> tuple[Network, ...]:
    """Addresses or networks ("10.20.0.0/16", "192.0.2.7") as networks; ValueError names the
    first one that is neither."""
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network.") from None
    return tuple(found)


def sender_allowed(peer: Any, allowed: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(peer[0] if isinstance(peer, tuple) else peer)
    except (ValueError, TypeError, IndexError):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)


START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"


def frame(message: str | bytes) -> bytes:
    data = message.encode("utf-8") if isinstance(message, str) else message
    return START_BLOCK + data + END_BLOCK


def handle_message(program_id: Any, block: bytes) -> str:
    """One message in, its acknowledgement out; never raises."""
    from pallio.programs.models import Program

    from .services import adt_receive

    close_old_connections()
    try:
        program = Program.objects.get(pk=program_id)
        return adt_receive(program=program, raw=block).ack
    except Exception:
        logger.exception("ADT message could not be processed")
        return acks.build_ack(
            code="AE",
            text="The message could not be processed; send it again later.",
            error_code=acks.ERR_APPLICATION,
        )


def close_database_connections() -> None:
    """Close the database connections this connection's messages used (outside a
    transaction: a test's own transaction is left alone)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


async def _serve_connection(reader: Any, writer: Any, handle: Callable[[bytes], Any]) -> None:
    oversized = False
    try:
        while True:
            try:
                data = await reader.readuntil(END_BLOCK)
            except asyncio.LimitOverrunError as overrun:
                # Longer than any message we keep: drop what was read, refuse at its end.
                await reader.readexactly(overrun.consumed)
                oversized = True
                continue
            except asyncio.IncompleteReadError:
                return  # the sender closed the connection
            start = data.rfind(START_BLOCK)
            if oversized:
                oversized = False
                reply = acks.build_ack(
                    code="AE",
                    text=f"The message is larger than {MAX_MESSAGE_BYTES // 1024} KB.",
                    error_code=acks.ERR_APPLICATION,
                )
            elif start == -1:
                continue  # noise without a start block: nothing to acknowledge
            else:
                reply = await handle(data[start + 1 : -len(END_BLOCK)])
            writer.write(frame(reply))
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        return
    finally:
        writer.close()
        # Each sender's connection has its own database connection (Django keeps them per
        # asyncio task); it ends with the sender's.
        await sync_to_async(close_database_connections, thread_sensitive=True)()


@dataclass
class Listener:
    """A running listener; `port` is the one bound (useful when asked for port 0)."""

    program_id: Any
    host: str = "127.0.0.1"
    port: int = 2575
    server: Any = None
    handler: Callable[[bytes], Any] | None = None
    allowed: tuple[Network, ...] = LOOPBACK
    _connections: set[asyncio.Task[Any]] = field(default_factory=set)

    async def start(self) -> Listener:
        program_id = self.program_id
        handle = self.handler or sync_to_async(
            lambda block: handle_message(program_id, block), thread_sensitive=True
        )

        def connected(reader: Any, writer: Any) -> None:
            peer = writer.get_extra_info("peername")
            if not sender_allowed(peer, self.allowed):
                logger.warning("ADT connection refused from %s: not an allowed sender", peer)
                writer.close()
                return
            task = asyncio.ensure_future(_serve_connection(reader, writer, handle))
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

        self.server = await start_hl7_server(
            connected, self.host, self.port, limit=MAX_MESSAGE_BYTES * 2
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.server.wait_closed()


class ListenerThread:
    """A listener on its own event loop in a background thread (tests, benchmarks)."""

    def __init__(
        self,
        program_id: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed: tuple[Network, ...] = LOOPBACK,
    ) -> None:
        self.listener = Listener(program_id=program_id, host=host, port=port, allowed=allowed)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.listener.start())
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> ListenerThread:
        self._thread.start()
        self._ready.wait(10)
        return self

    @property
    def port(self) -> int:
        return self.listener.port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.listener.stop(), self.loop).result(10)

        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

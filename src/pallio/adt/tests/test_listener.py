"""The MLLP listener over real TCP connections: acknowledgements on the same connection,
and bad input (noise, unreadable messages, oversized blocks) never stops it serving."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from asgiref.sync import async_to_sync
from django.db import connections

from pallio.adt.listener import (
    END_BLOCK,
    LOOPBACK,
    Listener,
    frame,
    parse_networks,
    sender_allowed,
)
from pallio.adt.models import AdtMessage, AdtStatus
from pallio.adt.tests.samples import adt_message

# Committed data: the listener runs in its own thread, with its own connection.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("audit_trail_deletable"),
]


def unknown(control_id: str) -> str:
    return adt_message(
        control_id=control_id,
        given="Zelda",
        family="Unknown",
        born=date(1940, 1, 1),
        record_number="X9",
    )


async def _ack(reader: asyncio.StreamReader) -> str:
    data = await asyncio.wait_for(reader.readuntil(END_BLOCK), 10)
    assert data[:1] == b"\x0b"
    return data[1:-2].decode()


def msa(ack: str) -> list[str]:
    return next(line for line in ack.split("\r") if line.startswith("MSA")).split("|")


def run(scenario, allowed=LOOPBACK):
    """Run the listener and a client in one loop, in a thread of their own; the test's data
    is committed (transactional test), so the listener's connection reads it."""

    async def main(program_id):
        listener = await Listener(program_id=program_id, port=0, allowed=allowed).start()
        try:
            return await scenario(listener.port)
        finally:
            await listener.stop()

    def call(program_id):
        # In a thread of its own, where no other event loop runs (a browser test earlier in
        # the same process leaves Playwright's loop marked as running in this one).
        def in_thread():
            try:
                return async_to_sync(main)(program_id)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(in_thread).result()

    return call


def test_garbage_then_a_good_message_on_the_same_and_a_new_connection(world):
    async def scenario(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # Noise with no start block, then noise glued to a framed message.
        writer.write(b"GARBAGE\x1c\r" + b"more noise" + frame(unknown("C1")))
        await writer.drain()
        first = await _ack(reader)
        # An unreadable message inside a proper frame: AE, and the connection goes on.
        writer.write(frame(b"not hl7 at all"))
        await writer.drain()
        refused = await _ack(reader)
        writer.write(frame(unknown("C2")))
        await writer.drain()
        second = await _ack(reader)
        writer.close()
        reader2, writer2 = await asyncio.open_connection("127.0.0.1", port)
        writer2.write(frame(b"\x00\xff\xfe binary junk"))
        writer2.write(frame(unknown("C3")))
        await writer2.drain()
        junk = await _ack(reader2)
        third = await _ack(reader2)
        writer2.close()
        return first, refused, second, junk, third

    first, refused, second, junk, third = run(scenario)(world.riverside.pk)
    assert msa(first)[:3] == ["MSA", "AA", "C1"]
    assert msa(refused)[1] == "AE" and "does not begin with an MSH segment" in refused
    assert msa(second)[:3] == ["MSA", "AA", "C2"]
    assert msa(junk)[1] == "AE"
    assert msa(third)[:3] == ["MSA", "AA", "C3"]
    held = AdtMessage.objects.filter(status=AdtStatus.UNMATCHED).values_list(
        "control_id", flat=True
    )
    assert sorted(held) == ["C1", "C2", "C3"]
    assert AdtMessage.objects.filter(status=AdtStatus.ERROR).count() == 2


def test_an_oversized_block_is_refused_and_the_connection_still_serves(world):
    async def scenario(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x0bMSH|" + b"A" * 300_000 + END_BLOCK)
        writer.write(frame(unknown("C9")))
        await writer.drain()
        refused = await _ack(reader)
        good = await _ack(reader)
        writer.close()
        return refused, good

    refused, good = run(scenario)(world.riverside.pk)
    assert msa(refused)[1] == "AE" and "larger than 64 KB" in refused
    assert msa(good)[:3] == ["MSA", "AA", "C9"]


def test_a_repeat_on_another_connection_is_acknowledged_not_applied_twice(world):
    async def scenario(port):
        acks = []
        for _ in range(2):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(frame(unknown("R1")))
            await writer.drain()
            acks.append(await _ack(reader))
            writer.close()
        return acks

    acks = run(scenario)(world.riverside.pk)
    assert [msa(a)[1] for a in acks] == ["AA", "AA"]
    assert AdtMessage.objects.filter(control_id="R1", status=AdtStatus.DUPLICATE).count() == 1


def test_a_sender_outside_the_allowed_networks_is_cut_off_before_a_byte_is_read(world, caplog):
    async def scenario(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(frame(adt_message(control_id="OUTSIDER")))
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return closed

    assert run(scenario, allowed=parse_networks(["10.20.0.0/16"]))(world.riverside.pk) == b""
    assert not AdtMessage.objects.exists()
    refused = [r for r in caplog.records if "ADT connection refused" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None


def test_allowed_networks_are_read_as_addresses_or_networks():
    allowed = parse_networks(["10.20.0.0/16", "192.0.2.7"])
    assert sender_allowed(("10.20.3.4", 5000), allowed)
    assert sender_allowed(("192.0.2.7", 5000), allowed)
    assert sender_allowed(("::ffff:10.20.3.4", 5000, 0, 0), allowed)
    assert not sender_allowed(("10.21.0.1", 5000), allowed)
    assert not sender_allowed(("127.0.0.1", 5000), allowed)
    assert not sender_allowed(None, allowed)
    assert sender_allowed(("127.0.0.1", 5000), LOOPBACK)
    assert sender_allowed(("::1", 5000, 0, 0), LOOPBACK)
    with pytest.raises(ValueError, match=r"'10\.20\.0\.0/33' is not an IP address or network"):
        parse_networks(["10.20.0.0/33"])

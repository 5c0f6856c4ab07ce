"""Hospital messages through the MLLP listener: HL7 v2 ADT messages per second, each parsed,
matched to one of 10,000 patients, stored, applied to the hospital stays and acknowledged.

    .venv/bin/python bench/bench_adt.py [--patients 10000] [--messages 3000] [--recreate]

On PostgreSQL (--url, default postgres://postgres@127.0.0.1:5432/pallio_bench_adt; created
when missing): migrate, then a program "ADT benchmark" with --patients patients
(created once in bulk and kept for the next run). Then, in this process:

1. Baselines: the raw MLLP round trip (a listener that answers every message with a fixed
   acknowledgement, no database), and parsing alone (`parse_adt`, no network, no database).
2. The listener (`pallio.adt.listener`, the one `pallio adt listen` runs) for the program:
   one sender's connection, a message at a time, each sent when the previous one is
   acknowledged, as an interface engine does. For a third of --messages patients an
   admission (A01), a transfer to intensive care (A02) and a discharge (A03); 1 message in
   20 names someone who is not a patient (held for review), 1 in 50 is sent twice (a
   repeat: acknowledged, not applied again). Messages per second, and the median and 95th
   percentile time from sending a message to reading its acknowledgement.

Control ids and visit numbers carry the run's start time, so runs do not collide.
Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pages import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_adt"
PATIENTS = 10_000
MESSAGES = 3000
SEED = 1
SLUG = "adt-bench"
GIVEN = [
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Esme",
    "Farid",
    "Gloria",
    "Hugo",
    "Ines",
    "Jonah",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Soren",
    "Tara",
]
FAMILY = [
    "Abbott",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Murphy",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Umar",
    "Vance",
    "Walsh",
    "Xu",
    "Young",
    "Zimmer",
]


def people(count: int) -> list[tuple[str, str, date]]:
    """Distinct (given, family, birth date) triples, the same for a given count."""
    rng = random.Random(SEED)
    seen: set[tuple[str, str, date]] = set()
    out = []
    while len(out) < count:
        person = (
            rng.choice(GIVEN),
            rng.choice(FAMILY),
            date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 60)),
        )
        if person not in seen:
            seen.add(person)
            out.append(person)
    return out


def load(patients: int):
    from django.core.management import call_command

    from pallio.patients.models import Patient
    from pallio.programs.models import Program
    from pallio.programs.services import program_create

    call_command("migrate", "--no-input", verbosity=0)
    program = Program.objects.filter(slug=SLUG).first() or program_create(
        name="ADT benchmark", slug=SLUG, timezone="America/New_York"
    )
    have = Patient.objects.filter(program=program).count()
    if have > patients:
        sys.exit(f"The program holds {have} patients; run with --recreate for {patients}.")
    if have < patients:
        started = time.monotonic()
        rows = [
            Patient(
                program=program,
                mrn=f"B{i:07d}",
                given_name=given,
                family_name=family,
                birth_date=born,
                phone=f"+1617555{i % 10000:04d}",
            )
            for i, (given, family, born) in enumerate(people(patients))
            if i >= have
        ]
        Patient.objects.bulk_create(rows, batch_size=2000)
        print(f"Created {len(rows):,} patients in {time.monotonic() - started:.1f} s")
    else:
        print(f"Reusing the {have:,} patients of the ADT benchmark program")
    return program


def messages_for(program, count: int) -> list[str]:
    from pallio.adt.builder import adt_message
    from pallio.core import clock

    run = clock.now().strftime("%m%d%H%M%S")
    tz = ZoneInfo(program.timezone)
    base = clock.now().astimezone(tz) - timedelta(days=2)
    rng = random.Random(SEED)
    everyone = people(program.patients.count())
    out: list[str] = []
    n = 0
    while len(out) < count:
        n += 1
        if n % 20 == 0:
            given, family, born = "Nobody", f"Unknown{n}", date(1931, 1, 1)
        else:
            given, family, born = rng.choice(everyone)
        admitted = base + timedelta(minutes=n)
        steps = [
            ("A01", {"unit": "5W", "sent": admitted}),
            ("A02", {"unit": "MICU", "sent": admitted + timedelta(hours=4)}),
            ("A03", {"unit": "MICU", "sent": admitted + timedelta(hours=30), "discharged": True}),
        ]
        for trigger, step in steps:
            sent = step["sent"].strftime("%Y%m%d%H%M")
            text = adt_message(
                trigger,
                control_id=f"R{run}-{n}-{trigger}",
                record_number=f"H{n}",
                given=given,
                family=family,
                born=born,
                unit=step["unit"],
                visit_number=f"V{run}-{n}",
                admitted=admitted.strftime("%Y%m%d%H%M"),
                discharged=sent if step.get("discharged") else "",
                disposition="01" if step.get("discharged") else "",
                sent=sent,
            )
            out.append(text)
            if n % 50 == 0 and trigger == "A01":
                out.append(text)  # a repeat
    return out[:count]


def round_trips(port: int, messages: list[str]) -> tuple[float, list[float]]:
    from pallio.adt.listener import END_BLOCK, frame

    latencies = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        started = time.perf_counter()
        for text in messages:
            sent = time.perf_counter()
            conn.sendall(frame(text))
            while END_BLOCK not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    raise SystemExit("The listener closed the connection.")
                buffer += chunk
            _, _, buffer = buffer.partition(END_BLOCK)
            latencies.append(time.perf_counter() - sent)
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def line(name: str, count: int, elapsed: float, latencies: list[float] | None = None) -> None:
    rate = count / elapsed if elapsed else 0.0
    text = f"{name:<42} {count:>6,} msgs {elapsed:>8.2f} s {rate:>10,.0f} msgs/s"
    if latencies:
        p50 = statistics.median(latencies) * 1000
        p95 = statistics.quantiles(latencies, n=20)[18] * 1000
        text += f"   median {p50:.2f} ms, p95 {p95:.2f} ms"
    print(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="database URL (else $DATABASE_URL or the default)"
    )
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = args.url or DEFAULT_URL
    ensure_database(url, recreate=args.recreate)
    setup_django(url)

    from pallio.adt import acks
    from pallio.adt.hl7v2 import parse_adt
    from pallio.adt.listener import Listener, ListenerThread
    from pallio.adt.models import AdtMessage

    program = load(args.patients)
    messages = messages_for(program, args.messages)
    database = url.rsplit("/", 1)[-1]
    print(f"{len(messages):,} messages for {args.patients:,} patients, database {database}")

    started = time.perf_counter()
    for text in messages:
        parse_adt(text, tz_name=program.timezone, icu_units=["MICU"])
    line("parse only (no network, no database)", len(messages), time.perf_counter() - started)

    fixed = acks.build_ack(code="AA", control_id="X")

    async def echo(block: bytes) -> str:
        return fixed

    echo_thread = ListenerThread(program.pk)
    echo_thread.listener = Listener(program_id=program.pk, port=0, handler=echo)
    echo_thread.start()
    try:
        elapsed, latencies = round_trips(echo_thread.port, messages)
    finally:
        echo_thread.stop()
    line("MLLP round trip, fixed ack (no database)", len(messages), elapsed, latencies)

    before = dict.fromkeys(("applied", "unmatched", "error", "duplicate"), 0)
    for status in before:
        before[status] = AdtMessage.objects.filter(program=program, status=status).count()
    listener = ListenerThread(program.pk).start()
    try:
        elapsed, latencies = round_trips(listener.port, messages)
    finally:
        listener.stop()
    line("listener: parse, match, store, apply, ack", len(messages), elapsed, latencies)
    counts = {
        status: AdtMessage.objects.filter(program=program, status=status).count() - was
        for status, was in before.items()
    }
    print("outcome: " + ", ".join(f"{n:,} {status}" for status, n in counts.items()))
    errors = list(
        AdtMessage.objects.filter(program=program, status="error")
        .order_by("-received_at")
        .values_list("error", flat=True)[:3]
    )
    if counts["error"]:
        print("first errors: " + " | ".join(errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

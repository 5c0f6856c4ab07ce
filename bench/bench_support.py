"""The 24/7 line: the call screen's server time with the chart's key facts, and the
escalation sweep's throughput with 1,000 open calls.

    .venv/bin/python bench/bench_support.py            (or `make bench`)

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench_support;
created when missing): migrate and load the demo program (500 patients by default, kept for
the next run when the seed and size match), then, in this process:

1. The call screen. Until the call-entry page is merged, what it stands on is measured: the
   patient's chart (/patients/<id>/, the key facts the call screen shows beside the call) and
   the chart header's selector (patient_header_context), for the demo patient with the longest
   record (most symptom reports, medications, tasks and referrals); and the on-call pages of
   the line that exist: /support/escalations/ and /support/handoff/. Median and 95th
   percentile per request and queries per request, beside /healthz timed the same way.
2. The escalation sweep: 1,000 open calls nobody called back, the physician on the second
   line. One sweep (support.escalation.calls_escalate: lock each call, write its step and
   audit event, page by email and text message, mark it sent) in calls per second; then two
   sweeps racing over a fresh 1,000 calls, checking each call was paged exactly once.
   Mail goes to Django's in-memory outbox, text messages to a backend that keeps nothing,
   so the figures are Pallio's and the database's, not a mail server's.

Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pages import analyze, ensure_database, measure, setup_django, signed_in  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_support"
PATIENTS = 500
SEED = 1
OPEN_CALLS = 1000
TARGET_P95_MS = 100.0


class DiscardingSms:
    """A text-message backend that takes every message and keeps none."""

    def send(self, *, to_user: Any, body: str) -> None:
        return None


def load_demo(*, patients: int, seed: int) -> None:
    from django.core.management import call_command

    from pallio.programs.demo import demo_load, demo_marker

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    marker = demo_marker()
    if marker is not None:
        if (marker.get("demo_seed"), marker.get("demo_patients")) != (seed, patients):
            sys.exit("The benchmark database holds another demo; run again with --recreate.")
        print(f"Reusing the demo program already loaded ({patients} patients, seed {seed})")
        return
    started = time.monotonic()
    demo_load(patients=patients, seed=seed, progress=True)
    print(f"Loaded {patients:,} patients in {time.monotonic() - started:.1f} s")


def longest_record() -> tuple[Any, dict[str, int]]:
    from django.db.models import Count

    from pallio.patients.models import Patient

    patient = (
        Patient.objects.filter(program__slug="demo", episodes__status="active")
        .annotate(
            reports=Count("symptom_reports", distinct=True),
            meds=Count("medications", distinct=True),
            tasks_n=Count("tasks", distinct=True),
            referrals_n=Count("referrals", distinct=True),
        )
        .order_by("-reports", "-meds", "-tasks_n", "mrn")
        .first()
    )
    assert patient is not None, "the demo has no enrolled patient"
    sizes = {
        "symptom reports": patient.reports,
        "medications": patient.meds,
        "tasks": patient.tasks_n,
        "referrals": patient.referrals_n,
    }
    return patient, sizes


def call_screen(requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pallio.accounts.models import User
    from pallio.patients.selectors import patient_header_context

    director = User.objects.get(username="director")
    client = signed_in(director)
    patient, sizes = longest_record()
    print(
        "\nThe call screen's facts: patient "
        + ", ".join(f"{n} {what}" for what, n in sizes.items())
    )
    cases = [
        ("baseline", Client(), "/healthz"),
        ("chart (key facts)", client, f"/patients/{patient.pk}/"),
        ("escalations", client, "/support/escalations/"),
        ("hand-off", client, "/support/handoff/"),
    ]
    for name, who, url in cases:
        median, p95, queries, _ = measure(who, url, requests=requests)
        verdict = "" if name == "baseline" else ("ok" if p95 <= TARGET_P95_MS else "slow")
        print(
            f"  {name:<22} median {median:6.1f} ms  p95 {p95:6.1f} ms  {queries:>3} queries  "
            f"{verdict}"
        )
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            patient_header_context(director, patient)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(
        f"  {'patient_header_context':<22} median {times[len(times) // 2]:6.1f} ms  "
        f"p95 {p95:6.1f} ms  {len(captured):>3} queries"
    )


def open_calls(count: int) -> list[Any]:
    """`count` open calls received 30 minutes ago, none called back, about demo patients."""
    from pallio.accounts.models import User
    from pallio.core import clock
    from pallio.patients.models import Patient
    from pallio.programs.models import Program
    from pallio.support.models import Call

    program = Program.objects.get(slug="demo")
    nurse = (
        User.objects.filter(program=program, role="on_call").first()
        or User.objects.filter(program=program).first()
    )
    patients = list(Patient.objects.filter(program=program).order_by("mrn")[:200])
    received = clock.now() - timedelta(minutes=30)
    rows = [
        Call(
            program=program,
            patient=patients[n % len(patients)],
            caller_kind="caregiver",
            callback_number="+16175550100",
            received_at=received,
            reason="symptom",
            taken_by=nurse,
        )
        for n in range(count)
    ]
    return Call.objects.bulk_create(rows)


def escalation_sweep() -> None:
    from django.conf import settings
    from django.core import mail
    from django.db import connection

    from pallio.accounts.models import User
    from pallio.core import clock
    from pallio.programs.models import Program
    from pallio.support.escalation import calls_escalate
    from pallio.support.models import CallEscalation, Line, Shift

    settings.PALLIO_SMS_BACKEND = "bench_support.DiscardingSms"
    program = Program.objects.get(slug="demo")
    physician = User.objects.filter(program=program, discipline="physician").first()
    now = clock.now()
    Shift.objects.create(
        program=program,
        line=Line.SECOND,
        user=physician,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        source="manual",
        note="benchmark",
    )
    print(f"\nThe escalation sweep over {OPEN_CALLS:,} open calls nobody called back")

    calls = open_calls(OPEN_CALLS)
    mail.outbox = []
    started = time.perf_counter()
    result = calls_escalate(program=program, now=clock.now())
    elapsed = time.perf_counter() - started
    print(
        f"  one sweep      {len(result.steps):>5} steps, {result.pages_sent:>5} pages in "
        f"{elapsed:6.2f} s  = {len(result.steps) / elapsed:7.1f} calls/s"
    )

    calls = open_calls(OPEN_CALLS)
    ids = [c.pk for c in calls]
    mail.outbox = []
    results: list[Any] = []
    gate = threading.Barrier(2)

    def sweep() -> None:
        gate.wait()
        try:
            results.append(calls_escalate(program=program, now=clock.now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    steps = sum(len(r.steps) for r in results)
    pages = sum(r.pages_sent for r in results)
    written = CallEscalation.objects.filter(call_id__in=ids).count()
    print(
        f"  two racing     {steps:>5} steps, {pages:>5} pages in {elapsed:6.2f} s  = "
        f"{steps / elapsed:7.1f} calls/s  (split {[len(r.steps) for r in results]})"
    )
    once = written == len(ids) == steps == pages == len(mail.outbox)
    print(f"  each call paged exactly once: {'yes' if once else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_support measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    ensure_database(url, recreate=args.recreate)
    setup_django(url)
    load_demo(patients=args.patients, seed=args.seed)
    analyze()
    import platform

    print(f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    call_screen(args.requests)
    escalation_sweep()
    return 0


if __name__ == "__main__":
    sys.exit(main())

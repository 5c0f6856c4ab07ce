"""The 24/7 line: the call screen's server time with the chart's key facts, and the
escalation sweep's throughput with 1,000 open calls.

    .venv/bin/python bench/bench_support.py            (or `make bench`)

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench_support;
created when missing): migrate and load the demo program (500 patients by default, kept for
the next run when the seed and size match), then, in this process:

1. The call screen: GET /support/calls/<id>/, the call with the chart's key facts beside it
   (code status and portable order, goals of care, agent, current medications with MME, last
   symptom scores, phase, enrollment), for a call about the demo patient with the longest
   record (most symptom reports, medications, tasks and referrals) and one about the patient
   with the shortest; the queries must be the same for both. The calls are taken and called
   back through the support services by the on-call clinician ("oncall"), who is put on a
   12-hour first-line shift unless the roster already has them on one (the on-call role
   reaches the program's patients only during a shift), and reused on the next run. Signed
   in as that clinician, and for the long record as the medical director (program-wide) too.
   Median and 95th percentile per request and queries per request, beside /healthz timed the
   same way.
2. The escalation sweep: 1,000 open calls nobody called back, the physician on the second
   line. One sweep (support.escalation.calls_escalate: lock each call, write its step and
   audit event, page by email and text message, mark it sent) in calls per second; then two
   sweeps racing over a fresh 1,000 calls, checking each call was paged exactly once. The
   open calls an earlier run left are acknowledged first (they would be due for the backup
   step by now).
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
# How the benchmark's own calls are told apart from the demo's on a reused database.
CALL_STORY = "Pain much worse tonight; asks what she may take (benchmark call)."
SWEEP_CALLER = "Benchmark sweep"


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


def _by_record() -> Any:
    """The demo's enrolled patients with the size of their record."""
    from django.db.models import Count

    from pallio.patients.models import Patient

    return Patient.objects.filter(
        program__slug="demo",
        episodes__status="active",
        deceased_at__isnull=True,
        entered_in_error=False,
    ).annotate(
        reports=Count("symptom_reports", distinct=True),
        meds=Count("medications", distinct=True),
        tasks_n=Count("tasks", distinct=True),
        referrals_n=Count("referrals", distinct=True),
    )


def _sizes(patient: Any) -> str:
    return (
        f"{patient.reports} symptom reports, {patient.meds} medications, "
        f"{patient.tasks_n} tasks, {patient.referrals_n} referrals"
    )


def longest_record() -> Any:
    """The enrolled patient with the most symptom reports, medications, tasks, referrals."""
    patient = _by_record().order_by("-reports", "-meds", "-tasks_n", "-referrals_n", "mrn").first()
    assert patient is not None, "the demo has no enrolled patient"
    return patient


def shortest_record() -> Any:
    patient = _by_record().order_by("reports", "meds", "tasks_n", "referrals_n", "mrn").first()
    assert patient is not None, "the demo has no enrolled patient"
    return patient


def on_shift_now(user: Any) -> None:
    """Put the on-call clinician on a first-line shift now unless the roster already has them
    on one: the on-call role reaches the program's patients only during a shift."""
    from pallio.core import access, clock
    from pallio.support.models import Line, Shift

    if access.on_shift(user):
        return
    now = clock.now()
    Shift.objects.create(
        program_id=user.program_id,
        line=Line.FIRST,
        user=user,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        source="manual",
        note="benchmark",
    )


def call_about(patient: Any, on_call: Any) -> Any:
    """A call about `patient` taken and called back by the on-call clinician, through the
    services as on the page; the one an earlier run left is reused. Called back, so the
    escalation sweep below leaves it alone."""
    from pallio.core import clock
    from pallio.support import services
    from pallio.support.models import Call

    call = Call.objects.filter(patient=patient, story=CALL_STORY).order_by("received_at").first()
    if call is not None:
        return call
    received = clock.now() - timedelta(minutes=10)
    call = services.call_record(
        actor=on_call,
        data=services.CallInput(
            caller_kind="caregiver",
            caller_name="Family member",
            callback_number="617-555-0199",
            received_at=received,
            reason="symptom",
            story=CALL_STORY,
            patient_id=patient.pk,
        ),
    )
    services.call_callback_record(
        actor=on_call,
        call=call,
        expected_version=call.version,
        called_back_at=received + timedelta(minutes=4),
    )
    return call


def call_screen(requests: int) -> None:
    from django.test import Client

    from pallio.accounts.models import User

    director = User.objects.get(username="director")
    on_call = User.objects.get(username="oncall")
    on_shift_now(on_call)
    short, long = shortest_record(), longest_record()
    short_call, long_call = call_about(short, on_call), call_about(long, on_call)
    on_call_client, director_client = signed_in(on_call), signed_in(director)
    print(
        "\nThe call screen (GET /support/calls/<id>/ with the chart's key facts)\n"
        f"  short record: {_sizes(short)}\n  long record:  {_sizes(long)}"
    )
    cases = [
        ("baseline /healthz", Client(), "/healthz"),
        ("short, on-call clinician", on_call_client, f"/support/calls/{short_call.pk}/"),
        ("long, on-call clinician", on_call_client, f"/support/calls/{long_call.pk}/"),
        ("long, medical director", director_client, f"/support/calls/{long_call.pk}/"),
    ]
    counts: dict[str, int] = {}
    for name, who, url in cases:
        if name != cases[0][0]:
            page = who.get(url)
            assert page.status_code == 200 and b'id="facts-heading"' in page.content, (
                f"{url} does not show the chart's key facts to {name}"
            )
        median, p95, queries, _ = measure(who, url, requests=requests)
        counts[name] = queries
        verdict = "" if name == cases[0][0] else ("ok" if p95 <= TARGET_P95_MS else "slow")
        print(
            f"  {name:<28} median {median:6.1f} ms  p95 {p95:6.1f} ms  {queries:>3} queries  "
            f"{verdict}"
        )
    same = counts["short, on-call clinician"] == counts["long, on-call clinician"]
    print(f"  queries the same for the short and the long record: {'yes' if same else 'NO'}")


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
            caller_name=SWEEP_CALLER,
            callback_number="+16175550100",
            received_at=received,
            reason="symptom",
            taken_by=nurse,
        )
        for n in range(count)
    ]
    return Call.objects.bulk_create(rows)


def retire_earlier_sweeps(program: Any) -> int:
    """Acknowledge the open calls an earlier run's sweep left (this database is the
    benchmark's own): by now they are due for the backup step and would swell this run's
    sweep. Calls from before they were named (no caller, no story) count as theirs."""
    from django.db.models import Q

    from pallio.core import clock
    from pallio.support.escalation import watched_calls

    return (
        watched_calls(program)
        .filter(Q(caller_name=SWEEP_CALLER) | Q(caller_name="", story=""))
        .update(acknowledged_at=clock.now())
    )


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
    retired = retire_earlier_sweeps(program)
    if retired:
        print(f"  ({retired:,} open calls of an earlier run acknowledged first)")

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
    ours_ids = set(ids)
    ours = [step.call_id for r in results for step in r.steps if step.call_id in ours_ids]
    written = CallEscalation.objects.filter(call_id__in=ids).count()
    print(
        f"  two racing     {steps:>5} steps, {pages:>5} pages in {elapsed:6.2f} s  = "
        f"{steps / elapsed:7.1f} calls/s  (split {[len(r.steps) for r in results]})"
    )
    if steps != len(ours):
        print(f"  ({steps - len(ours)} of the steps were for the demo's own calls)")
    once = written == len(ids) == len(ours) == len(set(ours)) and pages == steps
    once = once and len(mail.outbox) == pages
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

"""The audit trail under concurrent writers, and the audit page at 20 million rows.

    .venv/bin/python bench/bench_audit.py                 (both parts)
    .venv/bin/python bench/bench_audit.py --part appends  (or --part page)

On PostgreSQL (default servers on 127.0.0.1; each part has its own database, created when
missing and kept for the next run):

1. Appends ($DATABASE_URL or postgres://postgres@127.0.0.1:5432/pallio_bench_audit): a
   program with 16 staff and 200 patients. --writers processes (16; --threads to use
   threads of one process instead) each call the real services.audit_record, one
   transaction per append as a page makes it, for --seconds (20); then one writer alone.
   Beside them the sealer runs as in production (`seal_pending` every second, in its own
   process, ADR 0012). Printed: appends per second, the time of one append (p50, p95, p99),
   where the time goes (the keyed MAC, the INSERT, the COMMIT, timed around the calls
   audit_record makes), and the sealer: events sealed per second and the delay from an
   event's writing to its seal (p50, p99, max). Then what an append adds to a page: a probe
   process times a transaction that reads as a page does (the patient, a list of 20
   patients) with and without one audit_record, alternately, while the 16 writers run and
   alone. Last, audit_verify() seals what is left and walks the whole chain: it must report
   it intact.
2. The audit page ($PAGE_DATABASE_URL or .../pallio_bench_audit20m): --rows (20,000,000)
   audit rows generated in SQL (INSERT ... SELECT generate_series, in time order over 15
   months; 1,000 staff in three programs, 30,000 patients, a mix of actions, events and
   outcomes close to a working program's). Their chain fields are well-formed but not a
   valid chain: what is measured is the page's filters, not verify. The rows are kept for
   the next run (--regenerate drops them). Then the audit page (/audit/) is requested
   signed in as the big program's privacy officer, through django.test.Client in this
   process, for each filter it offers: median and p95 of --requests (10), and the queries
   of one request. Target: under 200 ms each.

The figures are written to var/bench/audit.json (--results); when that file is there from an
earlier run, its figures are printed beside the new ones.

Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import analyze, ensure_database, measure, setup_django, signed_in  # noqa: E402
from results_file import save_and_compare  # noqa: E402

APPEND_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_audit"
PAGE_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_audit20m"
RESULTS = ROOT / "var" / "bench" / "audit.json"
PROGRAM_SLUG = "bench-audit"
WRITERS = 16
SECONDS = 20.0
ROWS = 20_000_000
TARGET_APPENDS = 2000.0
TARGET_ADDED_MS = 2.0
TARGET_PAGE_MS = 200.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- part 1: appends ------------------------------------------------------------------------


def appends_setup(writers: int) -> None:
    from django.core.management import call_command

    from pallio.accounts.models import Role, User
    from pallio.audit.models import Action
    from pallio.audit.services import audit_record
    from pallio.patients.models import Patient
    from pallio.programs.models import Program
    from pallio.programs.services import program_create

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    program = Program.objects.filter(slug=PROGRAM_SLUG).first()
    if program is None:
        program = program_create(name="Bench audit", slug=PROGRAM_SLUG)
        Patient.objects.bulk_create(
            Patient(
                program=program,
                mrn=f"A{i:06d}",
                given_name=f"Given{i}",
                family_name=f"Family{i % 97}",
                birth_date=date(1930 + i % 60, 1 + i % 12, 1 + i % 28),
            )
            for i in range(200)
        )
    have = User.objects.filter(program=program).count()
    User.objects.bulk_create(
        User(
            username=f"bench-writer-{i}",
            program=program,
            role=Role.CLINICIAN,
            discipline="nurse",
            first_name="Writer",
            last_name=str(i),
        )
        for i in range(have, max(have, writers + 1))
    )
    audit_record(actor=None, action=Action.CREATE, event="program.create", program=program)


class _Timers:
    """Times the steps of the real audit_record by wrapping the calls it makes."""

    def __init__(self) -> None:
        self.mac: list[float] = []
        self.insert: list[float] = []

    def install(self) -> None:
        from pallio.audit import services
        from pallio.audit.models import AuditEvent

        content_mac = services.content_mac
        save = AuditEvent.save
        timers = self

        def timed_mac(*args: Any, **kwargs: Any) -> str:
            started = time.perf_counter()
            value = content_mac(*args, **kwargs)
            timers.mac.append(time.perf_counter() - started)
            return value

        def timed_save(self_: Any, *args: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            save(self_, *args, **kwargs)
            timers.insert.append(time.perf_counter() - started)

        services.content_mac = timed_mac  # type: ignore[assignment]
        AuditEvent.save = timed_save  # type: ignore[method-assign]


def _sealer(seconds: float, barrier: Any, out: Any) -> None:
    """The sealer as production runs it: seal_pending() every second."""
    from django.db import connection

    from pallio.audit.chain import seal_pending

    barrier.wait()
    deadline = time.perf_counter() + seconds + 2
    runs: list[float] = []
    sealed = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        sealed += seal_pending()
        runs.append(time.perf_counter() - started)
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    connection.close()
    out.put({"seal_runs": runs, "sealed": [float(sealed)]})


def _append_worker(
    index: int, mode: str, seconds: float, barrier: Any, out: Any, in_thread: bool
) -> None:
    """One writer: audit_record in its own transaction until the time is up ("append"), or
    the probe: a page's read with and without an append, alternately ("probe")."""
    from django.db import connection, transaction

    from pallio.accounts.models import User
    from pallio.audit.models import Action
    from pallio.audit.services import audit_record
    from pallio.patients.models import Patient

    timers = _Timers()
    if not in_thread:
        timers.install()
    user = User.objects.select_related("program").get(username=f"bench-writer-{index}")
    patients = list(Patient.objects.filter(program=user.program_id).values_list("pk", flat=True))
    result: dict[str, Any] = {"append": [], "commit": [], "page": [], "page_audit": []}

    def page_read(pk: Any) -> Any:
        patient = Patient.objects.get(pk=pk)
        list(Patient.objects.filter(program_id=user.program_id).order_by("family_name")[:20])
        return patient

    barrier.wait()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        pk = patients[(index * 7919 + n) % len(patients)]
        n += 1
        if mode == "append":
            started = time.perf_counter()
            with transaction.atomic():
                patient = Patient(pk=pk, program_id=user.program_id)
                audit_record(actor=user, action=Action.READ, event="patient.chart", patient=patient)
                committing = time.perf_counter()
            done = time.perf_counter()
            result["append"].append(done - started)
            result["commit"].append(done - committing)
        else:
            audited = n % 2 == 0
            started = time.perf_counter()
            with transaction.atomic():
                patient = page_read(pk)
                if audited:
                    audit_record(
                        actor=user, action=Action.READ, event="patient.chart", patient=patient
                    )
            result["page_audit" if audited else "page"].append(time.perf_counter() - started)
            time.sleep(0.005)  # a probe, not one more writer
    result |= {"mac": timers.mac, "insert": timers.insert}
    connection.close()
    out.put(result)


def run_writers(
    *, writers: int, seconds: float, threads: bool, probe: bool, mode: str = "append"
) -> dict[str, Any]:
    """Start the writers (and the probe) together; their timings, pooled."""
    from django.db import connections

    connections.close_all()
    jobs = [(i, mode) for i in range(writers)]
    if probe:
        jobs.append((writers, "probe"))
    parties = len(jobs) + 1  # and the sealer, in a process of its own either way
    ctx = multiprocessing.get_context("fork")
    if threads:
        out: Any = ctx.Queue()
        barrier: Any = ctx.Barrier(parties)
        workers: list[Any] = [
            threading.Thread(target=_append_worker, args=(i, m, seconds, barrier, out, True))
            for i, m in jobs
        ]
    else:
        out = ctx.Queue()
        barrier = ctx.Barrier(parties)
        workers = [
            ctx.Process(target=_append_worker, args=(i, m, seconds, barrier, out, False))
            for i, m in jobs
        ]
    workers.append(ctx.Process(target=_sealer, args=(seconds, barrier, out)))
    for worker in workers:
        worker.start()
    pooled: dict[str, list[float]] = {}
    for _ in workers:
        for key, values in out.get(timeout=seconds + 300).items():
            pooled.setdefault(key, []).extend(values)
    for worker in workers:
        worker.join()
    return {"seconds": seconds, **pooled}


def _ms(values: list[float]) -> str:
    return (
        f"p50 {_pct(values, 0.5) * 1000:6.2f}  p95 {_pct(values, 0.95) * 1000:6.2f}  "
        f"p99 {_pct(values, 0.99) * 1000:6.2f} ms"
    )


def _seal_delays(since_id: int) -> list[float]:
    """Seconds from each event's writing to its seal, for the events after `since_id`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM s.sealed_at - e.at) FROM audit_auditseal s "
            "JOIN audit_auditevent e ON e.id = s.event_id WHERE e.id > %s",
            [since_id],
        )
        return [float(value) for (value,) in cursor.fetchall()]


def appends(*, writers: int, seconds: float, threads: bool) -> dict[str, float]:
    from django.db.models import Max

    from pallio.audit.models import AuditEvent
    from pallio.audit.services import audit_verify

    figures: dict[str, float] = {}
    how = f"{writers} threads of one process" if threads else f"{writers} processes"
    before = AuditEvent.objects.count()
    for label, count in ((how, writers), ("1 writer alone", 1)):
        since = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
        run = run_writers(writers=count, seconds=seconds, threads=threads, probe=False)
        times = run["append"]
        rate = len(times) / seconds
        key = "alone" if count == 1 else "concurrent"
        figures[f"appends_per_s_{key}"] = rate
        figures[f"append_p50_ms_{key}"] = _pct(times, 0.5) * 1000
        figures[f"append_p95_ms_{key}"] = _pct(times, 0.95) * 1000
        figures[f"append_p99_ms_{key}"] = _pct(times, 0.99) * 1000
        print(f"\n{label}, {seconds:.0f} s: {len(times):,} appends, {rate:,.0f} appends/s")
        print(f"  one append (transaction)                      {_ms(times)}")
        if run["mac"]:
            print(f"    keyed MAC of the event                       {_ms(run['mac'])}")
            print(f"    INSERT of the event                          {_ms(run['insert'])}")
            print(f"    COMMIT                                       {_ms(run['commit'])}")
            figures[f"commit_mean_ms_{key}"] = statistics.fmean(run["commit"]) * 1000
        delays = _seal_delays(since)
        sealed = sum(run["sealed"])
        print(
            f"  the sealer: {sealed:,.0f} events sealed ({sealed / seconds:,.0f}/s), one run "
            f"{_ms(run['seal_runs'])}"
        )
        if delays:
            print(
                f"    from an event to its seal: p50 {_pct(delays, 0.5):.2f} s, p99 "
                f"{_pct(delays, 0.99):.2f} s, max {max(delays):.2f} s "
                f"({len(delays):,} events)"
            )
            figures[f"seal_delay_p99_s_{key}"] = _pct(delays, 0.99)
        figures[f"seal_run_p95_ms_{key}"] = _pct(run["seal_runs"], 0.95) * 1000

    print("\nWhat one append adds to a page's transaction (a probe, alternating with and without)")
    for label, count in (("alone", 0), (f"beside {writers} writers", writers)):
        run = run_writers(writers=count, seconds=seconds, threads=threads, probe=True)
        plain, audited = run["page"], run["page_audit"]
        added = (statistics.median(audited) - statistics.median(plain)) * 1000
        added95 = (_pct(audited, 0.95) - _pct(plain, 0.95)) * 1000
        key = "alone" if count == 0 else "concurrent"
        figures[f"page_added_ms_{key}"] = added
        figures[f"page_added_p95_ms_{key}"] = added95
        print(
            f"  {label:<22} page read {statistics.median(plain) * 1000:6.2f} ms, with the "
            f"append {statistics.median(audited) * 1000:6.2f} ms (median of {len(plain)}/"
            f"{len(audited)}): adds {added:.2f} ms (p95: adds {added95:.2f} ms)"
        )

    for name, ok in (
        (
            f"{TARGET_APPENDS:,.0f} appends/s with {writers} writers",
            figures["appends_per_s_concurrent"] >= TARGET_APPENDS,
        ),
        (
            f"an append adds at most {TARGET_ADDED_MS:g} ms to a page beside {writers} writers",
            figures["page_added_ms_concurrent"] <= TARGET_ADDED_MS,
        ),
    ):
        print(f"  {'PASS' if ok else 'MISS'}  {name}")

    written = AuditEvent.objects.count() - before
    started = time.perf_counter()
    checked, broken = audit_verify()
    took = time.perf_counter() - started
    if broken is None:
        print(f"\naudit_verify(): chain intact, {checked:,} events verified in {took:.1f} s")
    else:
        print(f"\naudit_verify(): BROKEN at event #{broken.pk} ({broken.event}), {checked:,} ok")
    print(f"  ({written:,} events were appended by this run)")
    figures["verify_intact"] = 1.0 if broken is None else 0.0
    return figures


# --- part 2: the audit page at 20 million rows ---------------------------------------------

PROGRAMS = (
    ("bench-audit-a", 700, 20_000),
    ("bench-audit-b", 200, 7_000),
    ("bench-audit-c", 100, 3_000),
)
OFFICER = "bench-privacy-a"
ROLES = ("clinician", "clinician", "clinician", "intake_coordinator", "medical_director", "on_call")
MONTHS = 15
CHUNK = 1_000_000

# action, event, share in thousandths (a patient's chart read most of all)
EVENT_MIX = (
    ("read", "patient.chart", 420),
    ("read", "care_plan.read", 120),
    ("read", "symptom_report.read", 80),
    ("read", "referral.chart_read", 60),
    ("read", "patient.timeline", 50),
    ("read", "medication.review", 40),
    ("update", "scheduled_visit.reschedule", 40),
    ("update", "stay.update", 30),
    ("create", "symptom_report.create", 40),
    ("create", "medication.add", 20),
    ("print", "patient.chart", 10),
    ("export", "patient.chart", 5),
    ("login", "account.sign_in", 60),
    ("logout", "account.sign_out", 20),
    ("login_failed", "account.sign_in_failed", 4),
    ("emergency", "patient.chart", 1),
)


def page_setup() -> None:
    from django.core.management import call_command

    from pallio.accounts.models import Role, User
    from pallio.patients.models import Patient
    from pallio.programs.models import Program
    from pallio.programs.services import program_create

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    for slug, staff, patients in PROGRAMS:
        if Program.objects.filter(slug=slug).exists():
            continue
        program = program_create(name=f"Bench {slug[-1].upper()}", slug=slug)
        User.objects.bulk_create(
            User(
                username=f"{slug}-staff-{i:04d}",
                program=program,
                role=ROLES[i % len(ROLES)],
                discipline="nurse",
                first_name=f"Staff{i}",
                last_name=slug[-1].upper(),
            )
            for i in range(staff)
        )
        Patient.objects.bulk_create(
            (
                Patient(
                    program=program,
                    mrn=f"{slug[-1].upper()}{i:07d}",
                    given_name=f"Given{i}",
                    family_name=f"Family{i % 997}",
                    birth_date=date(1930 + i % 60, 1 + i % 12, 1 + i % 28),
                )
                for i in range(patients)
            ),
            batch_size=5000,
        )
        if slug == PROGRAMS[0][0]:
            User.objects.create(
                username=OFFICER,
                program=program,
                role=Role.PRIVACY_OFFICER,
                discipline="other",
                first_name="Privacy",
                last_name="Officer",
            )


def _mix_sql() -> tuple[str, str]:
    """CASE over a random number in [0, 1000): the action and the event of a row."""
    actions, events, bound = [], [], 0
    for action, event, share in EVENT_MIX:
        bound += share
        actions.append(f"WHEN k < {bound} THEN '{action}'")
        events.append(f"WHEN k < {bound} THEN '{event}'")
    return (
        f"CASE {' '.join(actions)} ELSE 'read' END",
        f"CASE {' '.join(events)} ELSE 'patient.chart' END",
    )


def generate(rows: int) -> None:
    """The audit rows, written by SQL in time order; their indexes built after them."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_auditevent")
        have = cur.fetchone()[0]
        cur.execute("SELECT to_regclass('bench_audit_indexes') IS NOT NULL")
        pending = cur.fetchone()[0]
    if have >= rows and not pending:
        print(f"Reusing {have:,} audit rows")
        return
    action_sql, event_sql = _mix_sql()
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        if not pending:
            # Keep the index definitions, drop them, and build them again after the rows.
            cur.execute(
                "CREATE TABLE bench_audit_indexes AS SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'audit_auditevent' AND indexname NOT LIKE '%%_pkey'"
            )
            cur.execute("SELECT indexname FROM bench_audit_indexes")
            for (name,) in cur.fetchall():
                cur.execute(f'DROP INDEX "{name}"')
        cur.execute("DROP TABLE IF EXISTS bench_staff, bench_patients")
        cur.execute(
            "CREATE TABLE bench_staff AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, "
            "id, username, role, program_id FROM accounts_user WHERE username LIKE "
            "'bench-audit-%%-staff-%%'"
        )
        cur.execute(
            "CREATE TABLE bench_patients AS SELECT program_id, (row_number() OVER "
            "(PARTITION BY program_id ORDER BY id)) - 1 AS n, id FROM patients_patient"
        )
        cur.execute("CREATE UNIQUE INDEX ON bench_staff (n)")
        cur.execute("CREATE UNIQUE INDEX ON bench_patients (program_id, n)")
        cur.execute("SELECT count(*) FROM bench_staff")
        staff = cur.fetchone()[0]
        cur.execute(
            "CREATE TEMP TABLE bench_counts AS SELECT program_id, count(*) AS c "
            "FROM bench_patients GROUP BY program_id"
        )
        cur.execute("ANALYZE bench_staff; ANALYZE bench_patients")
        span_days = MONTHS * 30
        for lo in range(have + 1, rows + 1, CHUNK):
            hi = min(rows, lo + CHUNK - 1)
            # Staff activity is skewed (power of a uniform); a row's patient is one of its
            # user's program; sign-ins name no patient; 0.5% are refusals, 0.2% failures.
            cur.execute(
                f"""
                INSERT INTO audit_auditevent (id, at, program_id, user_id, username, role,
                    patient_id, action, event, object_type, object_id, outcome,
                    source_address, detail, prev_hash, hash, scheme)
                SELECT r.g,
                    now() - interval '{span_days} days'
                        + (r.g::float8 / {rows}) * interval '{span_days} days'
                        + (random() * interval '2 minutes'),
                    s.program_id, s.id, s.username, s.role,
                    CASE WHEN r.action_ IN ('login', 'logout', 'login_failed') THEN NULL
                         ELSE p.id END,
                    r.action_, r.event_,
                    CASE WHEN r.action_ IN ('login', 'logout', 'login_failed') THEN ''
                         ELSE 'Patient' END,
                    CASE WHEN r.action_ IN ('login', 'logout', 'login_failed') THEN ''
                         ELSE p.id::text END,
                    CASE WHEN r.o < 5 THEN 'denied' WHEN r.o < 7 THEN 'failure'
                         ELSE 'success' END,
                    '10.' || mod(s.n, 200) || '.' || mod(r.g, 250) || '.' || mod(s.n, 250),
                    '{{}}'::jsonb,
                    md5((r.g - 1)::text) || md5('p' || (r.g - 1)::text),
                    md5(r.g::text) || md5('p' || r.g::text),
                    2
                FROM (
                    SELECT g, k, o, floor({staff} * power(u, 1.6))::int AS sn, v,
                        {action_sql} AS action_, {event_sql} AS event_
                    FROM (SELECT g, floor(random() * 1000)::int AS k,
                                 floor(random() * 1000)::int AS o,
                                 random() AS u, random() AS v
                          FROM generate_series(%s::bigint, %s::bigint) AS g) AS x
                ) AS r
                JOIN bench_staff s ON s.n = r.sn
                JOIN bench_counts c ON c.program_id = s.program_id
                JOIN bench_patients p ON p.program_id = s.program_id
                    AND p.n = floor(power(r.v, 2) * c.c)::int
                """,  # noqa: S608 (numbers and constants of this file only)
                [lo, hi],
            )
            done = hi
            rate = (done - have) / max(0.001, time.monotonic() - started)
            print(f"  {done:,} rows ({rate:,.0f} rows/s)", flush=True)
        cur.execute("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s)", [rows])
        cur.execute(
            "INSERT INTO audit_auditchainhead (id, last_hash, count) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET last_hash = EXCLUDED.last_hash, "
            "count = EXCLUDED.count",
            ["0" * 64, rows],
        )
        print(f"Wrote the rows in {time.monotonic() - started:.0f} s; building the indexes")
        cur.execute("SELECT indexname, indexdef FROM bench_audit_indexes")
        for name, definition in cur.fetchall():
            one = time.monotonic()
            cur.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            print(f"  {name} in {time.monotonic() - one:.0f} s", flush=True)
        cur.execute("DROP TABLE bench_audit_indexes, bench_staff, bench_patients")
        one = time.monotonic()
        cur.execute("VACUUM (ANALYZE) audit_auditevent")
        print(f"  VACUUM ANALYZE in {time.monotonic() - one:.0f} s")
    print(f"Generated {rows - have:,} rows in {time.monotonic() - started:.0f} s")


def page(requests: int, show_sql: bool) -> dict[str, float]:
    from django.db import connection
    from django.db.models import Count

    from pallio.accounts.models import User
    from pallio.audit.models import AuditEvent

    officer = User.objects.get(username=OFFICER)
    program = officer.program_id
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('audit_auditevent')), "
            "pg_size_pretty(pg_relation_size('audit_auditevent'))"
        )
        total, heap = cur.fetchone()
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'audit_auditevent'")
        estimate = cur.fetchone()[0]
    print(f"\nThe audit table: about {estimate:,} rows, {total} with its indexes ({heap} of rows)")
    # A busy user and a patient with many events, in the officer's program; a recent week.
    latest = AuditEvent.objects.filter(program_id=program).order_by("-id").first()
    assert latest is not None
    sample = AuditEvent.objects.filter(program_id=program, id__gt=latest.id - 200_000)
    busy_user = (
        sample.values("username").annotate(n=Count("id")).order_by("-n").first() or {}
    ).get("username")
    busy_patient = (
        sample.exclude(patient_id=None)
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
        or {}
    ).get("patient_id")
    staff = User.objects.filter(program_id=program, username__contains="-staff-")
    quiet_user = staff.order_by("-id").values_list("username", flat=True).first()
    from pallio.patients.models import Patient

    quiet_patient = (
        Patient.objects.filter(program_id=program).order_by("-id").values_list("pk", flat=True)
    ).first()
    end = latest.at.date()
    week = end - timedelta(days=6)
    month = end - timedelta(days=30)
    client = signed_in(officer)
    cases = [
        ("unfiltered, first page", ""),
        ("unfiltered, page 100", "?page=100"),
        ("by user (the busiest)", f"?user={busy_user}"),
        ("by user (a quiet one)", f"?user={quiet_user}"),
        ("by patient (the busiest)", f"?patient={busy_patient}"),
        ("by patient (few events)", f"?patient={quiet_patient}"),
        ("by action (update)", "?action=update"),
        ("by action (emergency)", "?action=emergency"),
        ("by outcome (denied)", "?outcome=denied"),
        ("by date range (a week)", f"?start={week}&end={end}"),
        (
            "by date range (a month, 3 months ago)",
            f"?start={month - timedelta(days=60)}&end={end - timedelta(days=60)}",
        ),
        (
            "combined: user, action, a month",
            f"?user={busy_user}&action=read&start={month}&end={end}",
        ),
        ("combined: patient, a month", f"?patient={busy_patient}&start={month}&end={end}"),
        ("sorted by user", "?sort=user"),
    ]
    figures: dict[str, float] = {}
    sql_of: dict[str, list[str]] = {}
    print(f"Timing {requests} requests of /audit/ per filter, signed in as the privacy officer")
    for label, query in cases:
        median, p95, queries, sql = measure(client, f"/audit/{query}", requests=requests, warmup=2)
        sql_of[label] = sql
        verdict = "ok" if p95 <= TARGET_PAGE_MS else "SLOW"
        print(
            f"  {label:<38} median {median:8.1f} ms  p95 {p95:8.1f} ms  {queries:>2} queries  "
            f"{verdict}",
            flush=True,
        )
        figures[f"page_p95_ms {label}"] = p95
    if show_sql:
        for label, statements in sql_of.items():
            print(f"\n-- {label}")
            for statement in statements:
                print(f"   {statement[:400]}")
    return figures


# --- results -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("both", "appends", "page"), default="both")
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="each append phase")
    parser.add_argument("--threads", action="store_true", help="writers as threads, not processes")
    parser.add_argument("--rows", type=int, default=ROWS, help="audit rows of the page part")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true", help="generate the rows afresh")
    parser.add_argument("--recreate", action="store_true", help="drop the appends' database")
    parser.add_argument("--sql", action="store_true", help="print each filter's queries")
    parser.add_argument("--results", type=Path, default=RESULTS)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    append_url = os.environ.get("DATABASE_URL") or APPEND_URL
    page_url = os.environ.get("PAGE_DATABASE_URL") or PAGE_URL
    for url in (append_url, page_url):
        if not url.startswith("postgres"):
            sys.exit("This benchmark runs on PostgreSQL: set the URLs to postgres:// URLs.")
    # The bench's own checkpoint file: verify must not read the development server's.
    os.environ["PALLIO_AUDIT_CHECKPOINT_FILE"] = str(ROOT / "var" / "bench" / "audit-none.log")
    print(f"Load average at the start: {[round(x, 2) for x in os.getloadavg()]}")
    figures: dict[str, float] = {}
    if args.part in ("both", "appends"):
        ensure_database(append_url, recreate=args.recreate)
        setup_django(append_url)
        appends_setup(args.writers)
        figures |= appends(writers=args.writers, seconds=args.seconds, threads=args.threads)
    if args.part in ("both", "page"):
        ensure_database(page_url, recreate=args.regenerate)
        if args.part == "both":
            from django.db import connections

            connections.close_all()
            connections["default"].settings_dict["NAME"] = page_url.rsplit("/", 1)[1]
        else:
            setup_django(page_url)
        page_setup()
        generate(args.rows)
        analyze()
        figures |= page(args.requests, args.sql)
    figures["load_average_1m"] = os.getloadavg()[0]
    save_and_compare(
        args.results,
        figures,
        command=["bench/bench_audit.py", *argv],
        width=52,
        merge=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server time and query count of the busiest staff pages, at two list sizes each.

    .venv/bin/python bench/bench_pages.py            (or `make bench`)

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench; the
database is created when missing): migrate, load the demo program with 10,000 patients and
50,000 referrals (kept for the next run when the seed and sizes match), then request each
page signed in, through django.test.Client, in this process:

- the referral queue: a filter giving a handful of rows, and every referral of the program;
- the caseload: a clinician with a small caseload, and one with a large one;
- the patient chart: a patient of the small program (demo-north), and of the big one.

It prints the median and 95th percentile of the time per request and the number of queries
one request makes, beside a trivial page (/healthz) timed the same way as the baseline. The
targets (docs/performance.md): p95 at most 100 ms, and the same number of queries at both
sizes. Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench"
PATIENTS = 10_000
REFERRALS = 50_000
SEED = 1
TARGET_P95_MS = 100.0


def database_of(url: str) -> tuple[str, str]:
    """(the database's name, the URL of the server's admin database `postgres`)."""
    parts = urlsplit(url)
    return parts.path.lstrip("/"), parts._replace(path="/postgres").geturl()


def ensure_database(url: str, *, recreate: bool) -> None:
    """Create the benchmark database when it is missing (or afresh with --recreate)."""
    import psycopg
    from psycopg import sql

    name, admin = database_of(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            print(f"Dropping database {name} (--recreate)")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pallio.settings")
    os.environ.setdefault("PALLIO_ENV", "development")
    os.environ.setdefault("PALLIO_LOG_LEVEL", "ERROR")
    for path in (ROOT / "src", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import warnings

    import django

    # Static files are not collected for the benchmark; whitenoise says so on every start.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.test.utils import setup_test_environment

    # Lets django.test.Client in (its host is "testserver") and keeps mail in memory.
    setup_test_environment()


def load_data(*, patients: int, referrals: int, seed: int) -> None:
    from django.core.management import call_command

    from pallio.programs.demo import demo_load, demo_marker

    started = time.monotonic()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"Migrated in {time.monotonic() - started:.1f} s")
    marker = demo_marker()
    wanted = {"demo_seed": seed, "demo_patients": patients, "demo_referrals": referrals}
    if marker is not None:
        have = {k: marker.get(k) for k in wanted}
        if have != wanted:
            sys.exit(
                f"The benchmark database holds another demo ({have}); "
                "run again with --recreate to start afresh."
            )
        print(f"Reusing the demo program already loaded ({patients} patients, seed {seed})")
        return
    started = time.monotonic()
    demo_load(patients=patients, referrals=referrals, seed=seed, progress=True)
    print(
        f"Loaded {patients:,} patients and {referrals:,} referrals "
        f"in {time.monotonic() - started:.1f} s"
    )


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would give a real server after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclass
class Result:
    page: str
    size: str
    rows: int
    median_ms: float
    p95_ms: float
    queries: int


def measure(
    client: Any, url: str, *, requests: int, warmup: int = 5
) -> tuple[float, float, int, list[str]]:
    from django.db import connection

    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(url)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(statements), statements


def signed_in(user: Any) -> Any:
    from django.test import Client
    from tests.support.personas import login

    return login(Client(), user)


def run(requests: int, show_sql: bool) -> list[Result]:
    from django.db.models import Count, Q
    from django.test import Client

    from pallio.accounts.models import Role, User
    from pallio.patients.models import Patient
    from pallio.referrals.models import Referral

    coordinator = User.objects.get(username="coordinator")
    north_coordinator = User.objects.get(username="north-coordinator")
    big_program: Any = coordinator.program_id
    small_program: Any = north_coordinator.program_id
    results: list[Result] = []
    sql_by_case: dict[str, list[str]] = {}

    def case(page: str, size: str, rows: int, client: Any, url: str) -> None:
        median, p95, queries, sql = measure(client, url, requests=requests)
        results.append(Result(page, size, rows, median, p95, queries))
        sql_by_case[f"{page} ({size})"] = sql
        print(
            f"  {page:<10} {size:<32} {rows:>7,} rows  median {median:6.1f} ms  "
            f"p95 {p95:6.1f} ms  {queries:>3} queries"
        )

    print(f"\nTiming {requests} requests per case (after 5 warm-up requests)")
    case("baseline", "/healthz", 0, Client(), "/healthz")

    # The referral queue: few rows (on hold, self-referred) against every referral.
    coordinator_client = signed_in(coordinator)
    program_referrals = Referral.objects.filter(program_id=big_program)
    few_q = program_referrals.filter(status="on_hold", source="self").count()
    case(
        "queue",
        "on hold + self-referral filter",
        few_q,
        coordinator_client,
        "/referrals/?status=on_hold&source=self",
    )
    case(
        "queue",
        "open (default)",
        program_referrals.filter(status__in=["new", "in_review", "on_hold"]).count(),
        coordinator_client,
        "/referrals/",
    )
    case(
        "queue",
        "all referrals",
        program_referrals.count(),
        coordinator_client,
        "/referrals/?status=all",
    )

    # The caseload: a clinician with ~20 patients against one with ~500.
    loads = list(
        User.objects.filter(program_id=big_program, role=Role.CLINICIAN)
        .annotate(n=Count("team_memberships", filter=Q(team_memberships__active=True)))
        .filter(n__gt=0)
        .values_list("username", "n")
    )
    small = min(loads, key=lambda pair: abs(pair[1] - 20))
    large = min(loads, key=lambda pair: abs(pair[1] - 500))
    for username, count in (small, large):
        user = User.objects.get(username=username)
        case("caseload", f"{username}", count, signed_in(user), "/caseload/")

    # The chart: a patient of the 12-patient program against one of the 10,000-patient one,
    # each with the most referrals and tasks of their program.
    def busiest(program_id: Any) -> Patient:
        return (
            Patient.objects.filter(program_id=program_id, episodes__status="active")
            .annotate(n=Count("referrals", distinct=True) + Count("tasks", distinct=True))
            .order_by("-n", "mrn")
            .first()
        ) or Patient.objects.filter(program_id=program_id).first()  # type: ignore[return-value]

    north_patient = busiest(small_program)
    big_patient = busiest(big_program)
    north_count = Patient.objects.filter(program_id=small_program).count()
    big_count = Patient.objects.filter(program_id=big_program).count()
    case(
        "chart",
        "patient in demo-north",
        north_count,
        signed_in(north_coordinator),
        f"/patients/{north_patient.pk}/",
    )
    case("chart", "patient in demo", big_count, coordinator_client, f"/patients/{big_patient.pk}/")

    if show_sql:
        for name, statements in sql_by_case.items():
            print(f"\n-- {name}")
            for statement in statements:
                print(f"   {statement[:300]}")
    return results


def report(results: list[Result]) -> bool:
    baseline = results[0]
    print(f"\nBaseline /healthz: median {baseline.median_ms:.1f} ms, p95 {baseline.p95_ms:.1f} ms")
    ok = True
    pages: dict[str, list[Result]] = {}
    for result in results[1:]:
        pages.setdefault(result.page, []).append(result)
    print(f"{'page':<10} {'p95 max':>8} {'over baseline':>14} {'queries':>12}  verdict")
    for page, rows in pages.items():
        worst = max(r.p95_ms for r in rows)
        counts = sorted({r.queries for r in rows})
        fast = worst <= TARGET_P95_MS
        flat = len(counts) == 1
        verdict = (
            "ok"
            if fast and flat
            else (("slow " if not fast else "") + ("queries grow" if not flat else "")).strip()
        )
        ok = ok and fast and flat
        print(
            f"{page:<10} {worst:>6.1f}ms {worst - baseline.p95_ms:>12.1f}ms "
            f"{'/'.join(map(str, counts)):>12}  {verdict}"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--referrals", type=int, default=REFERRALS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_pages measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    ensure_database(url, recreate=args.recreate)
    setup_django(url)
    load_data(patients=args.patients, referrals=args.referrals, seed=args.seed)
    analyze()
    import platform

    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {_server_version()}"
    )
    results = run(args.requests, args.sql)
    all_ok = report(results)
    print("\nAll pages within target." if all_ok else "\nSome pages miss the target (above).")
    return 0


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


if __name__ == "__main__":
    sys.exit(main())

"""Under load: a real server, staff signed in, a mixed workload at once (issue 11).

    .venv/bin/python bench/bench_load.py                            (or `make bench`)
    .venv/bin/python bench/bench_load.py --rounds 1 --duration 20   (a short run)

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench, the
database of bench_pages.py: the demo program with 10,000 patients and 50,000 referrals, loaded
when missing and reused when there). Pallio is served by granian as a deployment serves it
(docs/deployment.md): workers = CPU cores, 4 blocking threads each, DEBUG off, on a free local
port, PostgreSQL on the same host. The load comes from Locust (a dev dependency), used as a
library in its own process (bench/load_generator.py), on the same machine: its CPU is part of
the picture, for /healthz as for every page.

The staff are real accounts of the big demo program: clinicians of every discipline who have
patients on their care teams (drawn at random, the busy disciplines thus most often), and
intake coordinators, one in ten simulated users. The demo has one coordinator; the others
(and clinicians, when more are asked for than the demo has) are made as copies of a demo
account: same role and discipline, the demo's password and their own authenticator, a copied
clinician put on the care teams of the patients they are given. Each simulated user has their
own account, so their one-time codes never collide. Each signs in over HTTP as a browser
does (sign-in page, password, current authenticator code, start page) before the timed
phases; sign-in is not in the mix (bench_signin.py measures it). The cache's rate-limit
counters are emptied every 25 sign-ins, as 30 sign-ins a minute from one address is the
limit (all of them come from 127.0.0.1 here). Each also gets a personal API token for the API
reads, as a script or app working on their behalf sends it.

What a simulated user does, by weight (how often each page is opened):

    clinician    chart 30, caseload 12, symptom trends 10, alert worklist 10, goals of care 6,
                 symptom report 5 (open the form, submit an ESAS-r: a real POST with its CSRF
                 token that must save the report and redirect to the trends; disciplines that
                 do not take symptom reports, such as social workers and chaplains, open a
                 chart instead), API patient read 8, API symptom-report list 4; on patients
                 of their own caseload (25 drawn from it)
    coordinator  referral queue 25, chart 20, a clinician's caseload 8, alert worklist 6,
                 symptom trends 5, goals of care 5, API referral queue 8, API patient read 6;
                 on enrolled patients anywhere in the program

Every answer must be 200 where it stands (a redirect, to the sign-in page or elsewhere, is an
error), and the report's POST a 302 to the patient's trends; anything else counts as an error
and a sample of the reasons is printed.

The phases, in one run (--duration seconds each, 60 by default, after a 10 s warm-up of the
mix that is not counted):

a. the ceiling: --closed-users users (twice the server's threads: every thread always has a
   request waiting) with no think time, requesting /healthz (one SELECT 1) in a closed loop;
b. the chart's throughput: the same closed loop on the chart of the clinicians' patients;
c. one user alone, no think time: a clinician's mix, plus the referral queue and its API at a
   coordinator's desk; per page p50/p95/p99;
d. --users (50) users at once, each with a think time of 1 to 3 s between requests (a busy
   user: 50 of them ask about as much as a few hundred staff at their usual pace); per page
   requests/s, p50/p95/p99 and errors.

With --rounds N (3 by default: about 15 minutes), the four phases run N times over, on the
same server and sessions, and each figure is the median of the N rounds' (requests and
errors are added up): with 50 users on two cores a phase's percentiles rest on a few hundred
requests, and one run of them scatters too far to decide a target. How many targets each
round passed on its own is printed after.

Then the targets, each PASS or MISS (figures, not a test: the exit status is 0 whatever they
are, unless the run fails): with the users at once, no error, every page p95 <= 150 ms and
p99 <= 300 ms; one user alone, every page p95 <= 30 ms; the chart's throughput at least 10% of
/healthz's. The load average is printed before and after. The figures are written to
var/bench/load.json (--results); when that file is there from an earlier run, its figures are
printed beside the new ones.

Every run measures the same data: the first keeps a copy of the freshly loaded demo (the
database's name with "_pristine"), and each later run starts from a new copy of it
(--recreate drops both and loads the demo again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_pages import (  # noqa: E402
    DEFAULT_URL,
    PATIENTS,
    REFERRALS,
    SEED,
    analyze,
    database_of,
    ensure_database,
    load_data,
    setup_django,
)
from bench_signin import Server, signed_in_session  # noqa: E402
from results_file import save_and_compare  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "load.json"
BLOCKING_THREADS = 4
PATIENTS_PER_USER = 25
COORDINATOR_PATIENTS = 200
SIGN_INS_PER_CLEAR = 25  # allauth allows 30 sign-ins a minute from one address
CLIENT_NAME = "load benchmark"  # the name of the API tokens it makes
TARGET_P95_MS = 150.0
TARGET_P99_MS = 300.0
TARGET_ALONE_P95_MS = 30.0
TARGET_CHART_SHARE = 0.10
PAGE_ORDER = (
    "/healthz",
    "chart",
    "caseload",
    "referral queue",
    "symptom trends",
    "alert worklist",
    "goals of care",
    "symptom report form",
    "symptom report submit",
    "API patient read",
    "API symptom reports",
    "API referral queue",
)


# --- the staff ---------------------------------------------------------------------------------


def _copy_of(source: Any, username: str) -> Any:
    """An account like `source` (role, discipline, program), with the demo's password and a
    fresh authenticator; made once and kept for the next run."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password

    from pallio.accounts.models import User
    from pallio.programs.demo import DEMO_PASSWORD

    user, made = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": source.first_name,
            "last_name": f"{source.last_name} ({username})",
            "email": f"{username}@example.org",
            "program_id": source.program_id,
            "role": source.role,
            "discipline": source.discipline,
            "credentials": source.credentials,
            "password": make_password(DEMO_PASSWORD),
        },
    )
    if made:
        TOTP.activate(user, generate_totp_secret())
    return user


def _secret_of(user: Any) -> str:
    """The TOTP secret of the account's authenticator (a demo account's is derived from the
    seed; a copy's was drawn when it was made)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return str(decrypt(stored.data["secret"]))


def _caseload(user: Any, rng: random.Random) -> list[str]:
    from pallio.episodes.models import CareTeamMember, EpisodeOfCare

    ids = list(
        CareTeamMember.objects.filter(
            user=user, active=True, episode__status=EpisodeOfCare.Status.ACTIVE
        )
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()
    )
    return [str(i) for i in rng.sample(ids, min(PATIENTS_PER_USER, len(ids)))]


def prepare_staff(*, clinicians: int, coordinators: int, seed: int) -> dict[str, Any]:
    """The simulated users' accounts, secrets, API tokens and patients."""
    from django.db.models import Count, Q

    from pallio.accounts.models import AccountKind, ApiToken, Role, User
    from pallio.accounts.services import api_token_create
    from pallio.assessments import instruments as inst
    from pallio.assessments import selectors as assessment_selectors
    from pallio.core import privileges
    from pallio.episodes.models import EpisodeOfCare
    from pallio.episodes.services import care_team_add

    rng = random.Random(seed)
    coordinator = User.objects.get(username="coordinator")
    program_id: Any = coordinator.program_id
    active = Q(team_memberships__active=True, team_memberships__episode__status="active")
    demo_clinicians = list(
        User.objects.filter(
            program_id=program_id,
            role=Role.CLINICIAN,
            kind=AccountKind.STAFF,
            is_active=True,
            training_level="",
        )
        .exclude(username__startswith="load-")
        .annotate(n=Count("team_memberships", filter=active))
        .filter(n__gt=0)
        .order_by("username")
    )
    chosen = rng.sample(demo_clinicians, min(clinicians, len(demo_clinicians)))
    people: list[tuple[Any, list[str]]] = [(user, _caseload(user, rng)) for user in chosen]
    for k in range(len(chosen), clinicians):
        # More users than the demo has clinicians: a copy, on the same patients' teams.
        source, patients = people[k % len(chosen)]
        copy = _copy_of(source, f"load-{source.username}-{k + 1}")
        for episode in EpisodeOfCare.objects.filter(patient_id__in=patients, status="active"):
            care_team_add(actor=coordinator, episode=episode, user=copy)
        people.append((copy, patients))

    desks = [coordinator] + [
        _copy_of(coordinator, f"load-coordinator-{k + 1}") for k in range(1, coordinators)
    ]
    enrolled = list(
        EpisodeOfCare.objects.filter(program_id=program_id, status="active")
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
    )
    colleagues = [str(user.uuid) for user, _ in people[:20]]

    usernames = [user.username for user, _ in people] + [user.username for user in desks]
    ApiToken.objects.filter(user__username__in=usernames, name=CLIENT_NAME).delete()

    def identity(user: Any, patients: list[str], **extra: Any) -> dict[str, Any]:
        _, token = api_token_create(actor=user, name=CLIENT_NAME, days=1)
        return {
            "username": user.username,
            "discipline": user.discipline,
            "secret": _secret_of(user),
            "token": token,
            "patients": patients,
            # Whether their discipline takes symptom reports at a contact (with the phase).
            "reports": privileges.can(user, "symptom_report.record", also=["phase.record"]),
            **extra,
        }

    instrument = assessment_selectors.instrument_get_for(coordinator, "esas-r")
    spec = inst.spec_of(instrument.questionnaire)
    items = [
        {"link_id": i.link_id, "minimum": i.minimum, "maximum": i.maximum}
        for i in spec.items
        if i.type == "integer" and i.required
    ]
    return {
        "clinicians": [identity(user, patients) for user, patients in people],
        "coordinators": [
            identity(
                user,
                [str(i) for i in rng.sample(enrolled, min(COORDINATOR_PATIENTS, len(enrolled)))],
                colleagues=colleagues,
            )
            for user in desks
        ],
        "report_items": items,
    }


# --- the same data on every run ------------------------------------------------------------


def _pristine_names(url: str) -> tuple[str, str, str]:
    """(the benchmark database, its pristine copy, the URL of the server's admin database)."""
    name, admin = database_of(url)
    return name, f"{name}_pristine", admin


def restore_pristine(url: str, *, recreate: bool) -> bool:
    """The benchmark database as the demo left it, copied afresh from its pristine copy when
    there is one. A run adds symptom reports, alerts and tasks to the patients it measures
    (and sessions, tokens, audit events): without this, each run measured the pages on more
    data than the run before it."""
    import psycopg
    from psycopg import sql

    name, pristine, admin = _pristine_names(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if recreate:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(pristine))
            )
            return False
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [pristine]).fetchone():
            return False
        started = time.monotonic()
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(pristine)
            )
        )
    print(f"Restored {name} from {pristine} in {time.monotonic() - started:.0f} s", flush=True)
    return True


def keep_pristine(url: str) -> None:
    """A copy of the freshly loaded demo, for the next runs to start from."""
    import psycopg
    from django.db import connections
    from psycopg import sql

    name, pristine, admin = _pristine_names(url)
    connections.close_all()  # a database with a connection cannot be copied
    started = time.monotonic()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(pristine), sql.Identifier(name)
            )
        )
    print(f"Kept a pristine copy as {pristine} in {time.monotonic() - started:.0f} s", flush=True)


def sign_in_everyone(base: str, identities: list[dict[str, Any]]) -> None:
    """Each signs in over HTTP (password, then code); their session cookies join the plan."""
    from django.core.cache import cache

    from pallio.programs.demo import DEMO_PASSWORD

    def one(person: dict[str, Any]) -> None:
        session = signed_in_session(base, person["username"], person["secret"], DEMO_PASSWORD)
        person["cookies"] = [
            {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
            for c in session.cookies
        ]

    started = time.monotonic()
    for start in range(0, len(identities), SIGN_INS_PER_CLEAR):
        cache.clear()  # the rate-limit counters (and used codes) of the sign-ins before
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(one, identities[start : start + SIGN_INS_PER_CLEAR]))
    print(f"Signed in {len(identities)} staff in {time.monotonic() - started:.0f} s", flush=True)


def _reports_saved() -> int:
    from pallio.assessments.models import SymptomReport

    return SymptomReport.objects.count()


# --- the report --------------------------------------------------------------------------------


def _ordered(pages: dict[str, Any]) -> list[str]:
    known = [p for p in PAGE_ORDER if p in pages]
    return known + sorted(p for p in pages if p not in PAGE_ORDER)


def _unmeasured(pages: dict[str, Any]) -> list[str]:
    """The mix's pages a phase never requested (a short phase may miss a rare one)."""
    return [p for p in PAGE_ORDER if p != "/healthz" and p not in pages]


def print_phase(title: str, phase: dict[str, Any]) -> None:
    users = f"{phase['users']} user{'s' if phase['users'] != 1 else ''}"
    print(f"\n{title} ({users}, {phase['seconds']:.0f} s)")
    print(
        f"  {'page':<24}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'errors':>8}"
    )
    pages = phase["pages"]
    for name in _ordered(pages):
        p = pages[name]
        print(
            f"  {name:<24}{p['requests']:>9,}{p['rps']:>9.1f}{p['p50']:>9g}{p['p95']:>9g}"
            f"{p['p99']:>9g}{p['failures']:>8}"
        )
    total = sum(p["requests"] for p in pages.values())
    failures = sum(p["failures"] for p in pages.values())
    print(f"  {'all':<24}{total:>9,}{total / phase['seconds']:>9.1f}{'':>27}{failures:>8}")
    for error in phase["errors"][:5]:
        print(f"    error x{error['occurrences']}: {error['page']}: {error['error'][:150]}")


def verdicts(results: dict[str, Any], users: int) -> list[tuple[bool | None, str]]:
    """Each target with its verdict (None: a page the phase never requested)."""
    out: list[tuple[bool | None, str]] = []
    concurrent = results["concurrent"]["pages"]
    errors = sum(p["failures"] for p in concurrent.values())
    out.append((errors == 0, f"{users} users at once: {errors} errors (target 0)"))
    for name in _ordered(concurrent):
        p = concurrent[name]
        out.append(
            (
                p["p95"] <= TARGET_P95_MS,
                f"{users} users, {name}: p95 {p['p95']:g} ms (target <= {TARGET_P95_MS:.0f})",
            )
        )
        out.append(
            (
                p["p99"] <= TARGET_P99_MS,
                f"{users} users, {name}: p99 {p['p99']:g} ms (target <= {TARGET_P99_MS:.0f})",
            )
        )
    for name in _unmeasured(concurrent):
        out.append((None, f"{users} users, {name}: not requested in this phase"))
    alone = results["alone"]["pages"]
    for name in _unmeasured(alone):
        out.append((None, f"one user alone, {name}: not requested in this phase"))
    for name in _ordered(alone):
        p = alone[name]
        out.append(
            (
                p["p95"] <= TARGET_ALONE_P95_MS,
                f"one user alone, {name}: p95 {p['p95']:g} ms "
                f"(target <= {TARGET_ALONE_P95_MS:.0f})",
            )
        )
    ceiling = results["healthz"]["pages"].get("/healthz", {}).get("rps", 0.0)
    chart = results["chart"]["pages"].get("chart", {}).get("rps", 0.0)
    share = chart / ceiling if ceiling else 0.0
    out.append(
        (
            share >= TARGET_CHART_SHARE,
            f"chart throughput {chart:.1f} req/s = {share:.1%} of "
            f"/healthz's {ceiling:.1f} req/s (target >= {TARGET_CHART_SHARE:.0%})",
        )
    )
    return out


def targets(results: dict[str, Any], users: int) -> None:
    print("\nTargets (PASS or MISS; figures, not a test)")
    for ok, text in verdicts(results, users):
        print(f"  {'----' if ok is None else 'PASS' if ok else 'MISS'}  {text}")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def median_of_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from several rounds: per phase and page, the median of each round's
    requests/s and percentiles; requests, failures and seconds added up. A page a round
    did not request counts in the rounds that did."""
    merged: dict[str, Any] = {}
    for phase in rounds[0]:
        runs = [r[phase] for r in rounds]
        names = {name for run in runs for name in run["pages"]}
        pages = {}
        for name in names:
            seen = [run["pages"][name] for run in runs if name in run["pages"]]
            pages[name] = {
                "requests": sum(p["requests"] for p in seen),
                "failures": sum(p["failures"] for p in seen),
                **{key: _median([p[key] for p in seen]) for key in ("rps", "p50", "p95", "p99")},
            }
        merged[phase] = {
            "users": runs[0]["users"],
            "seconds": sum(run["seconds"] for run in runs),
            "pages": pages,
            "errors": [e for run in runs for e in run["errors"]],
        }
    return merged


def figures_of(results: dict[str, Any], users: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    ceiling = results["healthz"]["pages"].get("/healthz", {}).get("rps", 0.0)
    chart = results["chart"]["pages"].get("chart", {}).get("rps", 0.0)
    figures["/healthz req/s"] = ceiling
    figures["chart req/s (closed loop)"] = chart
    figures["chart / healthz %"] = 100 * chart / ceiling if ceiling else 0.0
    for name, p in results["alone"]["pages"].items():
        figures[f"alone {name} p95 ms"] = p["p95"]
    pages = results["concurrent"]["pages"]
    figures[f"{users} users req/s"] = sum(p["rps"] for p in pages.values())
    figures[f"{users} users errors"] = sum(p["failures"] for p in pages.values())
    for name, p in pages.items():
        figures[f"{users} users {name} p95 ms"] = p["p95"]
        figures[f"{users} users {name} p99 ms"] = p["p99"]
    return figures


# --- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--users", type=int, default=50, help="users at once (phase d)")
    parser.add_argument(
        "--closed-users",
        type=int,
        default=0,
        help="users of the closed loops (phases a, b); default twice the server's threads",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="run the four phases this many times; figures and targets on their median",
    )
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds, not counted")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_load measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    restored = restore_pristine(url, recreate=args.recreate)
    ensure_database(url, recreate=args.recreate)
    setup_django(url)
    load_data(patients=PATIENTS, referrals=REFERRALS, seed=SEED)
    analyze()
    if not restored:
        keep_pristine(url)
    threads = args.workers * BLOCKING_THREADS
    closed = args.closed_users or 2 * threads
    coordinators = max(1, args.users // 10)
    clinicians = max(args.users - coordinators, closed, 1)
    print(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; granian "
        f"{args.workers} workers x {BLOCKING_THREADS} threads; {args.users} users "
        f"({clinicians} clinician and {coordinators} coordinator accounts), "
        f"{args.duration:.0f} s per phase",
        flush=True,
    )
    plan = prepare_staff(clinicians=clinicians, coordinators=coordinators, seed=SEED)
    reports_before = _reports_saved()
    plan |= {
        "seed": SEED,
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": max(1, args.rounds),
        "users": args.users,
        "closed_users": closed,
        "coordinator_users": coordinators,
    }
    # Sessions are signed in once, before the phases: the idle timeout must outlast the run.
    minutes = int((4 * args.duration * max(1, args.rounds) + args.warmup) / 60) + 20
    with Server(
        url,
        "pallio.settings",
        workers=args.workers,
        blocking_threads=BLOCKING_THREADS,
        extra_env={"PALLIO_IDLE_TIMEOUT_MINUTES": str(max(15, minutes))},
    ) as server:
        plan["base"] = server.base
        sign_in_everyone(server.base, plan["clinicians"] + plan["coordinators"])
        with tempfile.TemporaryDirectory() as tmp:
            plan_path, results_path = Path(tmp) / "plan.json", Path(tmp) / "results.json"
            plan_path.write_text(json.dumps(plan), "utf-8")
            print("Phases:", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "load_generator.py"),
                    str(plan_path),
                    str(results_path),
                ],
                check=True,
                cwd=ROOT,
            )
            raw = json.loads(results_path.read_text("utf-8"))
    rounds = raw["rounds"]
    submitted = sum(
        phase["pages"].get("symptom report submit", {}).get("requests", 0)
        - phase["pages"].get("symptom report submit", {}).get("failures", 0)
        for phase in [raw.get("warmup", {"pages": {}}), *(p for r in rounds for p in r.values())]
    )
    print(
        f"Symptom reports saved during the run: {_reports_saved() - reports_before} "
        f"(submits answered by the redirect, warm-up included: {submitted})"
    )
    results = median_of_rounds(rounds)
    of = f", median of {len(rounds)} rounds" if len(rounds) > 1 else ""
    print_phase(f"a. /healthz, closed loop, no think time: the ceiling{of}", results["healthz"])
    print_phase(f"b. the chart, closed loop, no think time{of}", results["chart"])
    print_phase(f"c. one user alone, no think time, the mix{of}", results["alone"])
    print_phase(
        f"d. {args.users} users at once, think time 1-3 s, the mix{of}", results["concurrent"]
    )
    targets(results, args.users)
    if len(rounds) > 1:
        print("\nEach round alone (how far they scatter)")
        for k, one in enumerate(rounds, start=1):
            judged = [ok for ok, _ in verdicts(one, args.users) if ok is not None]
            ceiling = one["healthz"]["pages"].get("/healthz", {}).get("rps", 0.0)
            chart = one["chart"]["pages"].get("chart", {}).get("rps", 0.0)
            print(
                f"  round {k}: {sum(judged)} of {len(judged)} targets passed; chart "
                f"{chart:.1f} req/s = {chart / ceiling if ceiling else 0:.1%} of /healthz's "
                f"{ceiling:.1f}"
            )
    print(f"\nLoad average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    save_and_compare(
        args.results,
        figures_of(results, args.users),
        command=["bench/bench_load.py", *argv],
        width=44,
        digits=1,
        show_command=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

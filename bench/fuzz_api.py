"""Schemathesis over the whole JSON API, at length: at least 10,000 cases, 0 server errors wanted.

    .venv/bin/python bench/fuzz_api.py                 (also run by `make bench`)
    .venv/bin/python bench/fuzz_api.py --cases 50000 --seed 7

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_fuzz; the
database is made afresh each run): migrate, build the test personas' two programs, then send
every operation of /api/v1/openapi.json its share of the cases, valid and invalid (half of
them about records that exist), in-process through the WSGI application, with the medical
director's API token. The cases are the same for the same seed.

It prints the cases per operation with the answers' status codes, and the failures by kind
(a 5xx status, or an exception out of the application) with a curl command for the first of
each. The exit status is 1 when a case got a server error, so the figure is never missed.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_fuzz"
CASES = 10_000
SEED = 20261130
KNOWN_IDS: dict[str, str] = {}  # ids of records that exist, for path parameters


def prepare(url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_pages import ensure_database, setup_django

    ensure_database(url, recreate=True)
    setup_django(url)
    from django.conf import settings
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 10_000_000
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    print(f"Migrated in {time.monotonic() - started:.1f} s")


def fuzz(cases: int, seed: int) -> tuple[dict[str, Counter[str]], dict[str, list[str]]]:
    from tests.security import api_fuzz
    from tests.security.helpers import riverside_referral
    from tests.support.personas import build_world

    from pallio.accounts.services import api_token_create

    world = build_world()
    _, secret = api_token_create(actor=world.director, name="fuzz", days=30)
    referral = riverside_referral(world)
    KNOWN_IDS.update(referral_id=str(referral.pk), patient_id=str(world.alice.pk))
    operations = api_fuzz.operations(api_fuzz.load_schema())
    share = math.ceil(cases / len(operations))

    def send(case: Any) -> Any:
        return api_fuzz.send(case, app, secret)

    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    failures: dict[str, list[str]] = defaultdict(list)

    with api_fuzz.in_process_app() as app:
        # Refusals are the expected answers here (the app's set-up configures logging again);
        # the failures are counted and printed below.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        for label, operation in sorted(operations.items()):
            started = time.monotonic()
            sent = statuses[label]
            run_operation(label, operation, share, seed, send, sent, failures)
            codes = ", ".join(f"{code}: {n}" for code, n in sorted(sent.items()))
            print(
                f"{label:<62} {sent.total():>6} cases  {time.monotonic() - started:6.1f} s  "
                f"({codes})",
                flush=True,
            )
    return statuses, failures


def run_operation(
    label: str,
    operation: Any,
    share: int,
    seed: int,
    send: Any,
    sent: Counter[str],
    failures: dict[str, list[str]],
) -> None:
    """Send `share` cases of one operation, counting answers and recording failures."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from tests.security import api_fuzz

    known = KNOWN_IDS
    attempt = 0
    # A small operation can run out of distinct cases; further seeds give others.
    while sent.total() < share and attempt < 20:

        @hypothesis_seed(seed + attempt)
        @settings(
            max_examples=share - sent.total(),
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=api_fuzz.case_strategy(operation, known))
        def one(case: Any) -> None:
            if sent.total() >= share:
                return
            try:
                response = send(case)
            except Exception as exc:
                sent["exception"] += 1
                failures[f"{type(exc).__name__} from {label}"].append(case.as_curl_command())
                return
            sent[str(response.status_code)] += 1
            if api_fuzz.is_server_error(response):
                failures[f"{response.status_code} from {label}"].append(case.as_curl_command())

        one()
        attempt += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=CASES, help="cases in all (at least)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    url = os.environ.get("FUZZ_DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("fuzz_api runs on PostgreSQL: set FUZZ_DATABASE_URL to a postgres:// URL")
    prepare(url)
    for path in (ROOT / "src", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import schemathesis

    started = time.monotonic()
    statuses, failures = fuzz(args.cases, args.seed)
    elapsed = time.monotonic() - started
    total = sum(c.total() for c in statuses.values())
    overall: Counter[str] = Counter()
    for counter in statuses.values():
        overall.update(counter)
    print(
        f"\n{total:,} cases over {len(statuses)} operations in {elapsed:.0f} s "
        f"(schemathesis {schemathesis.__version__}, seed {args.seed})"
    )
    print("Answers: " + ", ".join(f"{code}: {n:,}" for code, n in sorted(overall.items())))
    failed = sum(len(v) for v in failures.values())
    print(f"Failures: {failed}")
    for kind, curls in sorted(failures.items()):
        print(f"  {kind}: {len(curls)}\n    first: {curls[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

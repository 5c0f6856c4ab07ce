"""Server time and query count of the hospice eligibility aid: a patient with a small record
against one with a big record (thousands of scores, hundreds of hospital stays).

    .venv/bin/python bench/bench_hospice.py [--patients N]

On PostgreSQL ($DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/pallio_bench_hospice, created when missing; the helpers
of bench_pages.py): migrate and load the demo program with 500 patients (kept for the next
run), then give one enrolled patient a big record: 6,000 PPS, Karnofsky, FAST and NYHA
reports over two years, 300 hospital stays, and a heart-failure and a dementia diagnosis so
that those disease groups are judged too. The page /hospice/<patient>/ is requested signed
in as the care coordinator, through django.test.Client, for that patient and for an enrolled
patient with no added record.

It prints the median and 95th percentile of the time per request and the number of queries
one request makes, beside /healthz timed the same way as the baseline. Targets
(docs/performance.md): p95 at most 100 ms, and the same number of queries at both sizes.
Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_pages  # noqa: E402  (the database, demo and timing helpers are shared)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_hospice"
PATIENTS = 500
REPORTS = 6_000
STAYS = 300
BATCH = 2_000
# The answers each instrument is given in the big record, with their primary score.
ANSWERS: dict[str, list[tuple[dict[str, Any], float]]] = {
    "pps": [({"pps": str(v)}, float(v)) for v in (70, 60, 50, 40, 30)],
    "karnofsky": [({"kps": str(v)}, float(v)) for v in (70, 60, 50, 40)],
    "fast": [({"fast": s}, v) for s, v in (("6a", 6.1), ("6e", 6.5), ("7a", 7.1), ("7b", 7.2))],
    "nyha": [({"nyha": s}, v) for s, v in (("II", 2.0), ("III", 3.0), ("IV", 4.0))],
}


def big_record(*, seed: int) -> tuple[Any, Any]:
    """The patient given a big record (made once, kept) and a small one. Returns both."""
    from django.db import transaction

    from pallio.accounts.models import User
    from pallio.assessments import services as assessments
    from pallio.assessments.models import Instrument, SymptomReport
    from pallio.core import clock
    from pallio.core.codes import ICD10CM
    from pallio.episodes.models import HospitalStay
    from pallio.patients.models import Patient
    from pallio.patients.services import condition_add
    from pallio.programs.models import Program

    program = Program.objects.get(slug="demo")
    # Neither has a hospice referral (the demo refers a few): the page then reads the same
    # records for both, and only their size differs.
    enrolled = Patient.objects.filter(
        program=program,
        episodes__status="active",
        entered_in_error=False,
        hospice_referrals__isnull=True,
    ).order_by("mrn")
    big = enrolled.last()
    small = enrolled.exclude(pk=getattr(big, "pk", None)).first()
    assert big is not None and small is not None, "the demo needs two enrolled patients"
    have = SymptomReport.objects.filter(patient=big, instrument_key__in=ANSWERS).count()
    if have >= REPORTS:
        print(f"Reusing the big record already made ({have:,} reports)")
        return big, small
    started = time.monotonic()
    assessments.instruments_sync_shipped()
    instruments = {
        i.key: i for i in Instrument.objects.filter(program__isnull=True, key__in=ANSWERS)
    }
    author = User.objects.get(username="coordinator")
    rng = random.Random(seed)
    now = clock.now()
    reports = []
    for n in range(REPORTS):
        key = rng.choice(list(ANSWERS))
        answers, score = rng.choice(ANSWERS[key])
        reports.append(
            SymptomReport(
                program=program,
                patient=big,
                instrument=instruments[key],
                instrument_key=key,
                answers=answers,
                scores={},
                primary_score=score,
                respondent="clinician",
                channel="visit",
                answered_at=now - timedelta(hours=3 + n * 3),
                entered_by=author,
                evaluated_at=now,
            )
        )
    stays = [
        HospitalStay(
            program=program,
            patient=big,
            kind="inpatient",
            admitted_at=now - timedelta(days=2 + n * 2),
            discharged_at=now - timedelta(days=1 + n * 2),
            disposition="home",
            facility=f"Bench General Hospital {n % 7}",
            reason="Breathlessness",
            recorded_by=author,
        )
        for n in range(STAYS)
    ]
    with transaction.atomic():
        SymptomReport.objects.bulk_create(reports, batch_size=BATCH)
        HospitalStay.objects.bulk_create(stays, batch_size=BATCH)
        for code, display in (("I50.9", "Heart failure"), ("G30.9", "Alzheimer's disease")):
            condition_add(actor=None, patient=big, system=ICD10CM, code=code, display=display)
    print(
        f"Gave {big.mrn} {REPORTS:,} scored reports and {STAYS} hospital stays "
        f"in {time.monotonic() - started:.1f} s"
    )
    return big, small


def run(requests: int, big: Any, small: Any) -> list[bench_pages.Result]:
    from django.test import Client

    from pallio.accounts.models import User
    from pallio.assessments.models import SymptomReport
    from pallio.episodes.models import HospitalStay

    results: list[bench_pages.Result] = []

    def case(page: str, size: str, rows: int, client: Any, url: str) -> None:
        median, p95, queries, _ = bench_pages.measure(client, url, requests=requests)
        results.append(bench_pages.Result(page, size, rows, median, p95, queries))
        print(
            f"  {page:<10} {size:<32} {rows:>7,} rows  median {median:6.1f} ms  "
            f"p95 {p95:6.1f} ms  {queries:>3} queries"
        )

    print(f"\nTiming {requests} requests per case (after 5 warm-up requests)")
    case("baseline", "/healthz", 0, Client(), "/healthz")
    coordinator = bench_pages.signed_in(User.objects.get(username="coordinator"))
    for patient, label in ((small, "small record"), (big, "big record")):
        rows = (
            SymptomReport.objects.filter(patient=patient).count()
            + HospitalStay.objects.filter(patient=patient).count()
        )
        case("hospice", label, rows, coordinator, f"/hospice/{patient.pk}/")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--referrals", type=int, default=None)
    parser.add_argument("--seed", type=int, default=bench_pages.SEED)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_hospice measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    referrals = args.referrals
    if referrals is None:
        # The demo's proportion (about 1.4 referrals a patient), as bench_pages uses.
        referrals = round(args.patients * bench_pages.REFERRALS / bench_pages.PATIENTS)
    bench_pages.ensure_database(url, recreate=args.recreate)
    bench_pages.setup_django(url)
    bench_pages.load_data(patients=args.patients, referrals=referrals, seed=args.seed)
    big, small = big_record(seed=args.seed)
    bench_pages.analyze()
    results = run(args.requests, big, small)
    all_ok = bench_pages.report(results)
    print("\nAll pages within target." if all_ok else "\nSome pages miss the target (above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

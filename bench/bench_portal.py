"""The portal at 10,000 patients: diary submission throughput through the portal path, and the
server time of a patient's portal home page.

    .venv/bin/python bench/bench_portal.py

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench), with the
same demo program as bench/bench_pages.py (10,000 patients, kept between runs). Then:

- diaries: N portal accounts (one per patient), each sending ESAS-r diaries through
  portal.diary.diary_submit, which checks the portal access and its diary scope afresh on every
  submission and records the report through the same domain code as the staff path; the
  figure is diaries per second (the alerts are judged later by the background worker, as in
  production), beside the staff path (assessments.services.report_submit) measured the same
  way in the same run as the baseline;
- pages: the median and 95th percentile server time of GET /portal/<patient>/ and of the diary
  page, signed in as the patient, through django.test.Client, beside /healthz.

Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import (
    DEFAULT_URL,
    PATIENTS,
    REFERRALS,
    SEED,
    analyze,
    ensure_database,
    load_data,
    measure,
    setup_django,
)

ANSWERS = {
    "pain": "3",
    "tiredness": "4",
    "drowsiness": "2",
    "nausea": "1",
    "appetite": "2",
    "dyspnea": "0",
    "depression": "1",
    "anxiety": "2",
    "wellbeing": "3",
}


def portal_users(count: int) -> list[tuple[Any, Any]]:
    """(user, patient) for `count` enrolled patients of the big demo program, each with a
    portal account (made once, kept for the next run)."""
    from pallio.accounts.models import AccountKind, User
    from pallio.patients.models import Patient
    from pallio.portal.models import PortalAccess

    coordinator = User.objects.get(username="coordinator")
    patients = list(
        Patient.objects.filter(
            program_id=coordinator.program_id,
            deceased_at__isnull=True,
            episodes__status="active",
        ).order_by("pk")[:count]
    )
    pairs = []
    for patient in patients:
        username = f"bench-portal-{str(patient.pk)[:12]}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, kind=AccountKind.PORTAL, program=None)
            user.set_unusable_password()
            user.save()
            PortalAccess.objects.create(
                program_id=patient.program_id, patient=patient, user=user, relation="patient"
            )
        pairs.append((user, patient))
    return pairs


def throughput(pairs: list[tuple[Any, Any]], per: int) -> tuple[float, float]:
    """Diaries per second through the portal path, and reports per second through the staff
    path (the baseline), the same number of each."""
    from pallio.accounts.models import User
    from pallio.assessments.services import ReportInput, report_submit
    from pallio.portal.diary import diary_submit

    nurse = User.objects.filter(program__isnull=False, discipline="nurse_navigator").first()
    # Both paths warmed up first (caches, connections, the planner), untimed.
    for user, patient in pairs[:20]:
        diary_submit(user=user, patient_id=patient.pk, instrument_key="esas-r", answers=ANSWERS)
        report_submit(
            actor=nurse,
            patient=patient,
            data=ReportInput("esas-r", dict(ANSWERS), "patient", "portal"),
        )
    started = time.perf_counter()
    for _ in range(per):
        for user, patient in pairs:
            diary_submit(user=user, patient_id=patient.pk, instrument_key="esas-r", answers=ANSWERS)
    portal = len(pairs) * per / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(per):
        for _user, patient in pairs:
            report_submit(
                actor=nurse,
                patient=patient,
                data=ReportInput("esas-r", dict(ANSWERS), "patient", "portal"),
            )
    staff = len(pairs) * per / (time.perf_counter() - started)
    return portal, staff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--referrals", type=int, default=REFERRALS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--accounts", type=int, default=200, help="portal accounts sending")
    parser.add_argument("--diaries", type=int, default=2, help="diaries per account")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_portal measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    ensure_database(url, recreate=False)
    setup_django(url)
    load_data(patients=args.patients, referrals=args.referrals, seed=args.seed)
    analyze()
    from django.test import Client
    from tests.support.personas import login

    pairs = portal_users(args.accounts)
    portal, staff = throughput(pairs, args.diaries)
    print(f"Diaries, portal path: {portal:.0f}/s   staff path (baseline): {staff:.0f}/s")
    user, patient = pairs[0]
    client = login(Client(), user)
    rows = [
        ("baseline /healthz", Client(), "/healthz"),
        ("portal home", client, f"/portal/{patient.pk}/"),
        ("portal diary", client, f"/portal/{patient.pk}/diary/"),
    ]
    print(f"{'page':<20} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, who, page in rows:
        median, p95, queries, _ = measure(who, page, requests=args.requests)
        print(f"{name:<20} {median:>10.1f} {p95:>8.1f} {queries:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

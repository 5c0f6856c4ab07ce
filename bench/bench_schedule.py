"""The clinician's day calendar and the list of visits overdue at 10,000 patients.

    .venv/bin/python bench/bench_schedule.py [--patients 10000] [--runs 20] [--recreate]

On PostgreSQL (--url, default postgres://postgres@127.0.0.1:5432/pallio_bench_schedule;
created when missing): migrate, then a program "Schedule benchmark" with --patients
patients, each in an active episode with a care team of two (a physician or nurse
practitioner and a nurse or social worker, from 200 clinicians), a cadence per team
discipline (weekly, every 2 weeks, monthly or as needed, set up to 60 days ago), about ten
scheduled visits each over the past eight weeks and the next two (completed, cancelled,
missed or booked; no clinician in two places), and an oncology infusion this week for one
patient in five. Rows are generated and bulk-inserted once, and kept for the next run.

Then, in this process, each timed --runs times after one warm-up call (median and 95th
percentile, and the number of queries one call makes):

- the day calendar of one clinician (`schedule_selectors.schedule_for`, one day) and of the
  whole team (every visit of the day), as the medical director;
- the list of visits overdue (`cadence_selectors.overdue_page_for`), first page: program-wide
  as the medical director, one discipline, and a clinician's own patients.

Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pages import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_schedule"
PATIENTS = 10_000
CLINICIANS = 200
SLUG = "schedule-bench"
SEED = 3
PAST_DAYS, AHEAD_DAYS = 56, 14
SLOTS_PER_DAY = 8
FREQUENCIES = ("weekly", "every_2_weeks", "monthly", "as_needed")
LEADS = ("physician", "nurse_practitioner")
SECONDS = ("nurse", "social_worker")


def load(patients: int) -> tuple[object, object, object]:
    """The program and its rows (made once); returns (program, director, a clinician)."""
    from django.core.management import call_command
    from django.db import transaction

    from pallio.accounts.models import User
    from pallio.core import clock
    from pallio.episodes.models import CareTeamMember, EpisodeOfCare
    from pallio.patients.models import Patient
    from pallio.programs.models import Program
    from pallio.programs.services import program_create
    from pallio.visits.cadence_models import ExternalAppointment, VisitCadence
    from pallio.visits.models import Place, ScheduledVisit

    call_command("migrate", "--no-input", verbosity=0)
    program = Program.objects.filter(slug=SLUG).first() or program_create(
        name="Schedule benchmark", slug=SLUG, timezone="America/New_York"
    )
    have = Patient.objects.filter(program=program).count()
    director = User.objects.filter(program=program, role="medical_director").first()
    if have and have != patients:
        sys.exit(f"The program holds {have} patients; run with --recreate for {patients}.")
    if have:
        print(f"Reusing the {have:,} patients of the schedule benchmark program")
        clinician = User.objects.filter(program=program, role="clinician").order_by("username")
        return program, director, clinician.first()
    rng = random.Random(SEED)
    started = time.monotonic()
    zone = ZoneInfo(program.timezone)
    now = clock.now()
    today = now.astimezone(zone).date()
    with transaction.atomic():
        director = User.objects.create(
            username="sb-director",
            program=program,
            role="medical_director",
            discipline="physician",
            first_name="Dana",
            last_name="Director",
        )
        users = User.objects.bulk_create(
            User(
                username=f"sb-clin-{n:03d}",
                program=program,
                role="clinician",
                discipline=(LEADS if n % 2 == 0 else SECONDS)[(n // 2) % 2],
                first_name="Clin",
                last_name=f"{n:03d}",
            )
            for n in range(CLINICIANS)
        )
        leads = [u for n, u in enumerate(users) if n % 2 == 0]
        seconds = [u for n, u in enumerate(users) if n % 2 == 1]
        people = Patient.objects.bulk_create(
            (
                Patient(
                    program=program,
                    mrn=f"S{i:07d}",
                    given_name=f"Pat{i}",
                    family_name="Bench",
                    birth_date=datetime(1940, 1, 1).date() + timedelta(days=i % 20000),
                )
                for i in range(patients)
            ),
            batch_size=2000,
        )
        episodes = EpisodeOfCare.objects.bulk_create(
            (
                EpisodeOfCare(
                    program=program,
                    patient=p,
                    start=now - timedelta(days=90),
                    first_visit_due=today - timedelta(days=87),
                )
                for p in people
            ),
            batch_size=2000,
        )
        members, cadences = [], []
        team: dict[object, list[object]] = {}
        for p, episode in zip(people, episodes, strict=True):
            pair = [rng.choice(leads), rng.choice(seconds)]
            team[p.pk] = pair
            for n, user in enumerate(pair):
                members.append(
                    CareTeamMember(
                        episode=episode,
                        patient=p,
                        user=user,
                        discipline=user.discipline,
                        is_lead=n == 0,
                    )
                )
                cadences.append(
                    VisitCadence(
                        program=program,
                        patient=p,
                        episode=episode,
                        discipline=user.discipline,
                        frequency=rng.choice(FREQUENCIES),
                        since=today - timedelta(days=rng.randrange(60)),
                    )
                )
        CareTeamMember.objects.bulk_create(members, batch_size=5000)
        VisitCadence.objects.bulk_create(cadences, batch_size=5000)
        # Each clinician's visits fill their slots in turn (08:00 to 16:00, 45 minutes each):
        # never two at once.
        patients_of: dict[object, list[object]] = {}
        for pk, pair in team.items():
            for user in pair:
                patients_of.setdefault(user.pk, []).append(pk)
        visits = []
        first_day = today - timedelta(days=PAST_DAYS)
        for user in users:
            mine = patients_of.get(user.pk, [])
            for slot in range(min(len(mine) * 5, (PAST_DAYS + AHEAD_DAYS) * SLOTS_PER_DAY)):
                day = first_day + timedelta(days=slot // SLOTS_PER_DAY)
                starts = datetime(day.year, day.month, day.day, 8, tzinfo=zone) + timedelta(
                    hours=slot % SLOTS_PER_DAY
                )
                past = starts < now
                status = (
                    rng.choices(("completed", "cancelled", "no_show"), (90, 7, 3))[0]
                    if past
                    else "booked"
                )
                visits.append(
                    ScheduledVisit(
                        program=program,
                        patient_id=rng.choice(mine),
                        clinician=user,
                        discipline=user.discipline,
                        kind="follow_up",
                        setting="telehealth",
                        mode="video",
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=45),
                        status=status,
                    )
                )
        ScheduledVisit.objects.bulk_create(visits, batch_size=5000)
        center = Place.objects.create(
            program=program, setting="cancer_center", name="Cancer center, infusion suite"
        )
        ExternalAppointment.objects.bulk_create(
            (
                ExternalAppointment(
                    program=program,
                    patient=p,
                    kind="infusion",
                    place=center,
                    starts_at=(start := now + timedelta(hours=2 + rng.randrange(24 * 6))),
                    ends_at=start + timedelta(hours=4),
                )
                for p in people[::5]
            ),
            batch_size=5000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"Created {patients:,} patients, {len(members):,} team members, {len(cadences):,} "
        f"cadences and {len(visits):,} scheduled visits in {time.monotonic() - started:.1f} s"
    )
    return program, director, users[0]


def timed(name: str, call, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    with CaptureQueriesContext(connection) as queries:
        result = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"{name:<58} median {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
        f"{len(queries):2d} queries  ({result})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: the bench one)")
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = args.url or DEFAULT_URL
    ensure_database(url, recreate=args.recreate)
    setup_django(url)

    from pallio.core import clock
    from pallio.visits.cadence_selectors import overdue_page_for
    from pallio.visits.models import ScheduledVisit
    from pallio.visits.schedule_selectors import schedule_for

    program, director, clinician = load(args.patients)
    today = clock.today_in(program.timezone)  # type: ignore[attr-defined]
    total = ScheduledVisit.objects.filter(program=program).count()
    print(f"{args.patients:,} patients, {total:,} scheduled visits; {args.runs} runs each")

    def day(who: object) -> str:
        days = schedule_for(director, start=today, days=1, clinician=who)
        return f"{sum(len(d.entries) for d in days)} visits"

    def overdue(**kwargs: object) -> str:
        page = overdue_page_for(kwargs.pop("user", director), **kwargs)  # type: ignore[arg-type]
        return f"{page.paginator.count:,} patients overdue, {len(page.object_list)} shown"

    timed("day calendar, one clinician", lambda: day(clinician), args.runs)
    timed("day calendar, the whole team", lambda: day(None), args.runs)
    timed("visits overdue, program-wide (medical director)", lambda: overdue(), args.runs)
    timed(
        "visits overdue, one discipline (nurse)",
        lambda: overdue(discipline="nurse"),
        args.runs,
    )
    timed(
        "visits overdue, a clinician's own patients",
        lambda: overdue(user=clinician, mine=True),
        args.runs,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Server time and query count of the care pages at scale: the chart, the task list and the
team meeting's agenda, with 10,000 patients and 500,000 visits with their signed notes.

    .venv/bin/python bench/bench_care.py            (or `make bench`)

On PostgreSQL (the same database as bench_pages.py: $DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/pallio_bench): migrate, load the demo program with
10,000 patients (kept for the next run), then add visits with signed notes until the program
has 500,000 of each (about 50 per patient, spread over the past two years), open tasks and
care plans, and a team meeting per team. Each page is requested signed in, through
django.test.Client, at two sizes:

- the chart: a patient of the small program (demo-north) against the patient of the big one
  with the most visits;
- the task list: a clinician with few open tasks against the one with the most;
- the team meeting's agenda: the meeting of a small team against the meeting of the team
  holding the whole program.

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

VISITS = 500_000
TASKS_PER_PATIENT = 3
BATCH = 5_000


def grow(*, visits: int, seed: int) -> None:
    """Add visits with signed notes, tasks and care plans up to the wanted sizes."""
    from django.db import transaction

    from pallio.accounts.models import Role, User
    from pallio.careplans.models import CarePlan, Goal, Intervention, PlanDomain, Problem, Task
    from pallio.core import clock
    from pallio.core.codes import Discipline
    from pallio.episodes.models import CareTeamMember, EpisodeOfCare
    from pallio.programs.models import Program
    from pallio.visits.models import Mode, NoteTemplate, Setting, Visit, VisitNote

    program = Program.objects.get(slug="demo")
    have = Visit.objects.filter(program=program).count()
    if have >= visits:
        print(f"Reusing {have:,} visits already loaded")
        return
    rng = random.Random(seed)
    now = clock.now()
    template, _ = NoteTemplate.objects.get_or_create(
        program=program,
        key="bench-note",
        defaults={
            "title": "Visit note",
            "disciplines": list(Discipline.values),
            "sections": [{"key": "assessment", "label": "Assessment", "required": True}],
        },
    )
    teams: dict[Any, list[tuple[Any, str]]] = {}
    for member in CareTeamMember.objects.filter(episode__program=program, active=True).values_list(
        "patient_id", "user_id", "discipline"
    ):
        teams.setdefault(member[0], []).append((member[1], member[2]))
    episodes = dict(EpisodeOfCare.objects.filter(program=program).values_list("patient_id", "pk"))
    patients = sorted(teams)
    if not patients:
        sys.exit("The demo program has no care teams to add visits to.")
    started = time.monotonic()
    wanted = visits - have
    settings_ = list(Setting.values)
    modes = list(Mode.values)
    made = 0
    while made < wanted:
        batch_visits = []
        batch_notes = []
        for _ in range(min(BATCH, wanted - made)):
            patient_id = patients[(have + made) % len(patients)]
            user_id, discipline = rng.choice(teams[patient_id])
            when = now - timedelta(minutes=rng.randrange(60, 2 * 365 * 24 * 60))
            visit = Visit(
                program=program,
                patient_id=patient_id,
                episode_id=episodes.get(patient_id),
                clinician_id=user_id,
                discipline=discipline,
                setting=rng.choice(settings_),
                mode=rng.choice(modes),
                started_at=when,
                reason="Follow-up",
                created_at=when,
                updated_at=when,
            )
            batch_visits.append(visit)
            batch_notes.append(
                VisitNote(
                    program=program,
                    patient_id=patient_id,
                    visit=visit,
                    template=template,
                    author_id=user_id,
                    content={"assessment": "Comfortable; plan unchanged."},
                    status=VisitNote.Status.SIGNED,
                    signed_at=when + timedelta(hours=2),
                    signed_by_id=user_id,
                    created_at=when,
                    updated_at=when + timedelta(hours=2),
                )
            )
            made += 1
        with transaction.atomic():
            Visit.objects.bulk_create(batch_visits, batch_size=BATCH)
            VisitNote.objects.bulk_create(batch_notes, batch_size=BATCH)
        print(
            f"\r  visits and notes: {have + made:,} of {visits:,} "
            f"({time.monotonic() - started:.0f} s)",
            end="",
            flush=True,
        )
    print()

    # Open tasks spread over the team (some overdue), and a care plan per episode.
    today = clock.today_in(program.timezone)
    tasks = []
    for patient_id in patients:
        for n in range(TASKS_PER_PATIENT):
            user_id, discipline = rng.choice(teams[patient_id])
            tasks.append(
                Task(
                    program=program,
                    patient_id=patient_id,
                    episode_id=episodes.get(patient_id),
                    kind="follow_up",
                    title=f"Follow up ({n + 1})",
                    discipline=discipline,
                    assigned_to_id=user_id if n else None,
                    due=today + timedelta(days=rng.randrange(-10, 20)),
                )
            )
    Task.objects.bulk_create(tasks, batch_size=BATCH)
    author = User.objects.filter(program=program, role=Role.MEDICAL_DIRECTOR).first()
    plans = [
        CarePlan(
            program=program,
            patient_id=patient_id,
            episode_id=episode_id,
            review_due=today + timedelta(days=rng.randrange(-7, 28)),
        )
        for patient_id, episode_id in episodes.items()
        if not CarePlan.objects.filter(episode_id=episode_id).exists()
    ]
    CarePlan.objects.bulk_create(plans, batch_size=BATCH)
    problems, goals, interventions = [], [], []
    for plan in plans:
        problem = Problem(
            plan=plan,
            domain=PlanDomain.PHYSICAL,
            code_system="https://pallio.org/fhir/CodeSystem/care-plan-problem",
            code="pain",
            display="Pain",
            created_by=author,
            updated_by=author,
        )
        problems.append(problem)
        goals.append(
            Goal(
                plan=plan,
                problem=problem,
                patient_words="I want to sleep through the night.",
                target="Pain at night 3 or less",
                review_date=today + timedelta(days=14),
                created_by=author,
                updated_by=author,
            )
        )
        interventions.append(
            Intervention(
                plan=plan,
                problem=problem,
                description="Review the pain regimen weekly",
                discipline="nurse",
                created_by=author,
                updated_by=author,
            )
        )
    Problem.objects.bulk_create(problems, batch_size=BATCH)
    Goal.objects.bulk_create(goals, batch_size=BATCH)
    Intervention.objects.bulk_create(interventions, batch_size=BATCH)
    print(
        f"Added {made:,} visits and notes, {len(tasks):,} tasks and {len(plans):,} care plans "
        f"in {time.monotonic() - started:.0f} s"
    )


def teams_and_meetings() -> tuple[Any, Any]:
    """A small team (two clinicians) and one holding every clinician of the program, each
    with this week's meeting and its agenda built. Returns the two meetings."""
    from django.db.models import Count, Q

    from pallio.accounts.models import Role, User
    from pallio.careplans import idt
    from pallio.careplans.models import IdtMeeting, IdtTeam
    from pallio.core import clock
    from pallio.programs.models import Program

    program = Program.objects.get(slug="demo")
    director = User.objects.get(username="director")
    clinicians = list(
        User.objects.filter(program=program, role=Role.CLINICIAN).order_by("username")
    )
    # The small team: the two clinicians caring for the fewest patients (at least one), so
    # its agenda holds a few items rather than none.
    few = list(
        User.objects.filter(program=program, role=Role.CLINICIAN)
        .annotate(n=Count("team_memberships", filter=Q(team_memberships__active=True)))
        .filter(n__gt=0)
        .order_by("n", "username")[:2]
    )
    meetings = []
    for name, members in (
        ("Bench small team", few),
        ("Bench whole program", clinicians),
    ):
        team = IdtTeam.objects.filter(program=program, name=name).first()
        if team is None:
            team = idt.idt_team_create(actor=director, program=program, name=name, members=members)
        meeting = IdtMeeting.objects.filter(team=team).first()
        if meeting is None:
            meeting = idt.idt_meeting_create(
                actor=director, team=team, scheduled_for=clock.now() + timedelta(hours=2)
            )
            meeting = idt.idt_agenda_build(actor=director, meeting=meeting)
        meetings.append(meeting)
    return meetings[0], meetings[1]


def run(requests: int) -> list[bench_pages.Result]:
    from django.db.models import Count, Q
    from django.test import Client

    from pallio.accounts.models import Role, User
    from pallio.careplans.models import Task
    from pallio.patients.models import Patient
    from pallio.visits.models import Visit

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

    coordinator = User.objects.get(username="coordinator")
    north = User.objects.get(username="north-coordinator")
    north_patient = Patient.objects.filter(program_id=north.program_id).order_by("mrn").first()
    busiest = (
        Visit.objects.filter(program_id=coordinator.program_id)
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert north_patient is not None and busiest is not None
    north_visits = Visit.objects.filter(patient=north_patient).count()
    case(
        "chart",
        "patient in demo-north",
        north_visits,
        bench_pages.signed_in(north),
        f"/patients/{north_patient.pk}/",
    )
    case(
        "chart",
        "busiest patient in demo",
        busiest["n"],
        bench_pages.signed_in(coordinator),
        f"/patients/{busiest['patient_id']}/",
    )

    loads = list(
        User.objects.filter(program_id=coordinator.program_id, role=Role.CLINICIAN)
        .annotate(n=Count("tasks", filter=Q(tasks__status=Task.Status.OPEN)))
        .filter(n__gt=0)
        .order_by("n", "username")
        .values_list("username", "n")
    )
    for username, count in (loads[0], loads[-1]):
        user = User.objects.get(username=username)
        case("tasks", username, count, bench_pages.signed_in(user), "/plans/tasks/")

    small, large = teams_and_meetings()
    director = bench_pages.signed_in(User.objects.get(username="director"))
    for meeting, label in ((small, "small team"), (large, "whole program")):
        case(
            "agenda",
            label,
            meeting.items.count(),
            director,
            f"/team-meetings/{meeting.pk}/",
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=bench_pages.PATIENTS)
    parser.add_argument("--referrals", type=int, default=bench_pages.REFERRALS)
    parser.add_argument("--visits", type=int, default=VISITS)
    parser.add_argument("--seed", type=int, default=bench_pages.SEED)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or bench_pages.DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_care measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    bench_pages.ensure_database(url, recreate=args.recreate)
    bench_pages.setup_django(url)
    bench_pages.load_data(patients=args.patients, referrals=args.referrals, seed=args.seed)
    grow(visits=args.visits, seed=args.seed)
    bench_pages.analyze()
    results = run(args.requests)
    all_ok = bench_pages.report(results)
    print("\nAll pages within target." if all_ok else "\nSome pages miss the target (above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

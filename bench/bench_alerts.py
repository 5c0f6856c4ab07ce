"""Alert evaluation throughput, and the server time of the symptom trend page.

    .venv/bin/python bench/bench_alerts.py            (or `make bench`)

On PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pallio_bench_alerts;
created when missing; kept for the next run):

1. Data: 10,000 patients, each with a weekly ESAS-r report for two years (104 weeks, about
   1.04 million reports, scored by the instrument code and written with COPY), every one
   marked evaluated as the worker would have left it. Two more patients have 500 and 10
   reports for the trend page.
2. Throughput: a sample of reports (20,000 by default, the newest of each patient first) is
   marked not evaluated, then judged one by one by services.report_evaluate, each in its own
   transaction. Then the same sample, marked not evaluated again, is judged in batches by
   services.batch.reports_evaluate_pending (what the worker's task runs): in this process,
   then in 2 (and --workers) processes claiming batches side by side; the alerts raised are
   compared with those raised one by one. Alongside, the baseline in the same run: inserting
   a report with no evaluation (a plain INSERT in its own transaction), and the whole submit
   path of the form and the API (services.report_submit: checks, scoring, audit row, queueing
   the evaluation). Alerts and tasks raised are removed after each pass, so every pass and
   every run starts from the same data.
3. A burst (--burst, 10,000 by default): that many diaries submitted through
   services.report_submit over --burst-seconds (60), paced, from --submitters processes,
   while --workers real background workers (`pallio db_worker`) run; then the delay from
   each report to its severe-symptom alert, and to its report being judged (p50, p95, p99).
   The burst's reports, alerts and tasks are removed afterwards.
4. The trend page (/assessments/patients/<id>/) for the 500-report and the 10-report
   patient: median and 95th percentile of the server time (django.test.Client, in this
   process) and the number of queries of one request.

The figures are written to var/bench/alerts.json (--results); when that file is there from
an earlier run, its figures are printed beside the new ones.

Figures, not a test: the exit status is 0 whatever they are, unless the run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from alerts_burst import burst, drain_in_processes  # noqa: E402
from bench_pages import analyze, ensure_database, measure, setup_django, signed_in  # noqa: E402
from results_file import save_and_compare  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pallio_bench_alerts"
PATIENTS = 10_000
WEEKS = 104
SAMPLE = 20_000
BASELINE = 2_000
BURST = 10_000
RESULTS = ROOT / "var" / "bench" / "alerts.json"
PROGRAM_SLUG = "bench-alerts"
ESAS_ITEMS = (
    "pain",
    "tiredness",
    "drowsiness",
    "nausea",
    "appetite",
    "dyspnea",
    "depression",
    "anxiety",
    "wellbeing",
)


def _esas_answers(rng: random.Random, level: float) -> dict[str, int]:
    return {
        item: max(0, min(10, round(10 * level * rng.uniform(0.2, 1.0) + rng.gauss(0, 0.6))))
        for item in ESAS_ITEMS
    }


def load_data(*, patients: int, weeks: int) -> Any:
    """The program, its patients and their reports; reused when already there."""
    from django.core.management import call_command
    from django.db import connection

    from pallio.accounts.models import Role, User
    from pallio.assessments import instruments as inst
    from pallio.assessments.models import Instrument, SymptomReport
    from pallio.core import clock
    from pallio.patients.models import Patient
    from pallio.programs.models import Program
    from pallio.programs.services import program_create

    started = time.monotonic()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"Migrated in {time.monotonic() - started:.1f} s")
    program = Program.objects.filter(slug=PROGRAM_SLUG).first()
    wanted = patients * weeks + 510
    if program is not None:
        have = SymptomReport.objects.filter(program=program).count()
        if have >= wanted:
            print(f"Reusing {have:,} reports of {patients:,} patients")
            return program
        sys.exit(f"The database holds {have:,} reports, not {wanted:,}; run with --recreate.")
    program = program_create(name="Bench alerts", slug=PROGRAM_SLUG, timezone="America/New_York")
    User.objects.create(
        username="bench-director",
        program=program,
        role=Role.MEDICAL_DIRECTOR,
        discipline="physician",
    )
    rng = random.Random(1)
    started = time.monotonic()
    rows = [
        Patient(
            program=program,
            mrn=f"B{i:07d}",
            given_name=f"Given{i}",
            family_name=f"Family{i % 997}",
            birth_date=date(1930 + i % 60, 1 + i % 12, 1 + i % 28),
        )
        for i in range(patients + 2)
    ]
    Patient.objects.bulk_create(rows, batch_size=2000)
    people = list(Patient.objects.filter(program=program).order_by("mrn"))
    print(f"Made {len(people):,} patients in {time.monotonic() - started:.1f} s")

    esas = Instrument.objects.get(program__isnull=True, key="esas-r")
    spec = inst.spec_of(esas.questionnaire)
    now = clock.now().replace(microsecond=0)
    columns = (
        "id",
        "created_at",
        "updated_at",
        "program_id",
        "patient_id",
        "instrument_id",
        "instrument_key",
        "answers",
        "scores",
        "primary_score",
        "respondent",
        "respondent_name",
        "channel",
        "answered_at",
        "evaluated_at",
        "entered_in_error",
        "idempotency_key",
        "partial",
        "unanswered",
    )
    # Each patient: its own weekly series; the two last patients carry 500 and 10 reports.
    plan = [(p, weeks, timedelta(weeks=1)) for p in people[:patients]]
    plan += [
        (people[patients], 500, timedelta(days=1)),
        (people[patients + 1], 10, timedelta(weeks=1)),
    ]
    import uuid

    started = time.monotonic()
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = f"COPY assessments_symptomreport ({', '.join(columns)}) FROM STDIN"
        with raw.copy(sql) as copy:
            for patient, count, step in plan:
                level = rng.uniform(0.05, 0.55)
                for k in range(count):
                    when = now - step * (count - k) + timedelta(minutes=rng.randint(0, 600))
                    level = min(0.8, max(0.0, level + rng.gauss(0, 0.03)))
                    answers = _esas_answers(rng, level)
                    result = inst.score(spec, answers)
                    copy.write_row(
                        (
                            uuid.UUID(int=rng.getrandbits(128), version=4),
                            when,
                            when,
                            program.pk,
                            patient.pk,
                            esas.pk,
                            "esas-r",
                            json.dumps(answers),
                            json.dumps(result.as_json()),
                            result.scales.get("total"),
                            "patient",
                            "",
                            "portal",
                            when,
                            when,
                            False,
                            "",
                            False,
                            "[]",
                        )
                    )
                    written += 1
                    if written % 100_000 == 0:
                        rate = written / (time.monotonic() - started)
                        print(f"  {written:,} reports ({rate:,.0f}/s)", flush=True)
    print(f"Wrote {written:,} reports with COPY in {time.monotonic() - started:.1f} s")
    analyze()
    return program


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({1000 * seconds / count:.2f} ms each)"


def throughput(program: Any, *, sample: int, baseline: int, workers: int) -> dict[str, float]:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from pallio.assessments.models import Alert, Instrument, SymptomReport
    from pallio.assessments.services import ReportInput, report_evaluate, report_submit
    from pallio.core import clock
    from pallio.patients.models import Patient

    figures: dict[str, float] = {}
    print(f"\nThroughput over {sample:,} reports (baseline: {baseline:,} inserts)")
    # The sample: the newest reports, spread over every patient, judged in the order they
    # were saved, as the worker takes them (the HOPE visit goes to a patient's first report).
    newest = SymptomReport.objects.filter(program=program).order_by("-answered_at")[:sample]
    ids = list(
        SymptomReport.objects.filter(id__in=newest.values("id"))
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    SymptomReport.objects.filter(id__in=ids).update(evaluated_at=None)
    before_alerts = set(Alert.objects.filter(program=program).values_list("id", flat=True))

    started = time.perf_counter()
    raised = 0
    quiet: list[float] = []  # reports that raised nothing
    loud: list[float] = []  # reports that raised at least one alert (and its task)
    for report_id in ids:
        one = time.perf_counter()
        count = len(report_evaluate(report_id=report_id))
        (loud if count else quiet).append(time.perf_counter() - one)
        raised += count
    seconds = time.perf_counter() - started
    figures["evaluate_per_s"] = len(ids) / seconds
    print(f"  evaluate (the worker's path)  {_rate(len(ids), seconds)}; {raised:,} alerts raised")
    for name, times in (("raising nothing", quiet), ("raising an alert", loud)):
        if times:
            print(f"    {name:<26}{len(times):>7,} reports, {_rate(len(times), sum(times))}")
    one_by_one = _raised(program, before_alerts)
    _remove_alerts(program, before_alerts)

    # The same reports judged in batches, in this process, then in worker processes.
    from pallio.assessments.services.batch import batch_size, reports_evaluate_pending

    SymptomReport.objects.filter(id__in=ids).update(evaluated_at=None)
    started = time.perf_counter()
    judged = raised = 0
    while True:
        claimed, alerts = reports_evaluate_pending(limit=batch_size())
        if not claimed:
            break
        judged, raised = judged + len(claimed), raised + len(alerts)
    seconds = time.perf_counter() - started
    figures["batched_per_s"] = judged / seconds
    same = _raised(program, before_alerts) == one_by_one
    print(
        f"  batched, {batch_size()} a batch, 1 process  {_rate(judged, seconds)}; "
        f"{raised:,} alerts raised, {'the same' if same else 'NOT the same'} as one by one"
    )
    figures["batched_same_alerts"] = float(same)
    _remove_alerts(program, before_alerts)
    for processes in sorted({2, workers}):
        SymptomReport.objects.filter(id__in=ids).update(evaluated_at=None)
        seconds, judged, raised = drain_in_processes(processes)
        figures[f"batched_{processes}p_per_s"] = judged / seconds
        same = _raised(program, before_alerts) == one_by_one
        print(
            f"  batched, {processes} processes        {_rate(judged, seconds)}; "
            f"{raised:,} alerts raised, {'the same' if same else 'NOT the same'} as one by one"
        )
        _remove_alerts(program, before_alerts)

    # Baseline 1: a plain insert, each in its own transaction.
    esas = Instrument.objects.get(program__isnull=True, key="esas-r")
    patients = list(Patient.objects.filter(program=program).order_by("mrn")[:baseline])
    template = SymptomReport.objects.filter(id=ids[0]).values("answers", "scores").get()
    made: list[Any] = []
    started = time.perf_counter()
    for patient in patients:
        with transaction.atomic():
            made.append(
                SymptomReport.objects.create(
                    program=program,
                    patient=patient,
                    instrument=esas,
                    instrument_key="esas-r",
                    answers=template["answers"],
                    scores=template["scores"],
                    primary_score=0,
                    respondent="patient",
                    channel="portal",
                    answered_at=clock.now(),
                    evaluated_at=clock.now(),
                ).pk
            )
    seconds = time.perf_counter() - started
    figures["insert_per_s"] = len(made) / seconds
    print(f"  insert only (baseline)        {_rate(len(made), seconds)}")

    # Baseline 2: the submit path of the form and the API (no evaluation: it is queued).
    from pallio.accounts.models import User

    director = User.objects.get(username="bench-director")
    rng = random.Random(2)
    started = time.perf_counter()
    for patient in patients:
        report, _ = report_submit(
            actor=director,
            patient=patient,
            data=ReportInput("esas-r", _esas_answers(rng, 0.4), "patient", "portal"),
        )
        made.append(report.pk)
    seconds = time.perf_counter() - started
    figures["submit_per_s"] = len(patients) / seconds
    print(f"  submit (form and API path)    {_rate(len(patients), seconds)}")

    # Back to where the run started: the sample evaluated, no new alerts, tasks or reports.
    _remove_alerts(program, before_alerts)
    SymptomReport.objects.filter(id__in=made).delete()
    DBTaskResult.objects.filter(task_path="pallio.assessments.tasks.report_evaluate_task").delete()
    return figures


def _raised(program: Any, before: set[Any]) -> set[tuple[Any, ...]]:
    """The alerts raised since `before`, in terms that do not depend on generated ids."""
    from pallio.assessments.models import Alert

    return set(
        Alert.objects.filter(program=program)
        .exclude(id__in=before)
        .values_list(
            "report_id", "rule_key", "priority", "detail", "task__title", "task__assigned_to"
        )
    )


def _remove_alerts(program: Any, before: set[Any]) -> None:
    from pallio.assessments.models import Alert
    from pallio.careplans.models import Task

    new_alerts = Alert.objects.filter(program=program).exclude(id__in=before)
    task_ids = list(new_alerts.exclude(task=None).values_list("task_id", flat=True))
    Alert.history.filter(id__in=new_alerts.values("id")).delete()
    new_alerts.delete()
    Task.history.filter(id__in=task_ids).delete()
    Task.objects.filter(id__in=task_ids).delete()


def trend_pages(program: Any, *, requests: int) -> list[tuple[int, float, float, int]]:
    from django.db.models import Count

    from pallio.accounts.models import User
    from pallio.patients.models import Patient

    director = User.objects.get(username="bench-director")
    client = signed_in(director)
    counted = {
        n: pid
        for pid, n in Patient.objects.filter(program=program, mrn__in=_special_mrns(program))
        .annotate(n=Count("symptom_reports"))
        .values_list("id", "n")
    }
    results = []
    print(f"\nTrend page, {requests} requests per case (after 5 warm-up requests)")
    median, p95, queries, _ = measure(signed_in(director), "/healthz", requests=requests)
    print(f"  baseline /healthz            median {median:6.1f} ms  p95 {p95:6.1f} ms")
    for n in sorted(counted, reverse=True):
        url = f"/assessments/patients/{counted[n]}/"
        median, p95, queries, _ = measure(client, url, requests=requests)
        results.append((n, median, p95, queries))
        print(
            f"  trends, {n:>4} reports          median {median:6.1f} ms  p95 {p95:6.1f} ms  "
            f"{queries} queries"
        )
    return results


def _special_mrns(program: Any) -> list[str]:
    from pallio.patients.models import Patient

    total = Patient.objects.filter(program=program).count()
    return [f"B{total - 2:07d}", f"B{total - 1:07d}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--sample", type=int, default=SAMPLE)
    parser.add_argument("--baseline", type=int, default=BASELINE)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (batched, burst)")
    parser.add_argument("--burst", type=int, default=BURST, help="diaries in the burst (0: none)")
    parser.add_argument("--burst-seconds", type=float, default=60.0)
    parser.add_argument("--submitters", type=int, default=3, help="processes submitting")
    parser.add_argument("--interval", type=float, default=1.0, help="the workers' polling (s)")
    parser.add_argument(
        "--submit-path",
        choices=("service", "insert"),
        default="service",
        help="the burst's reports through report_submit, or their rows inserted directly",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--recreate", action="store_true", help="drop and recreate the database")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    ensure_database(url, recreate=args.recreate)
    setup_django(url)
    program = load_data(patients=args.patients, weeks=args.weeks)
    figures = throughput(program, sample=args.sample, baseline=args.baseline, workers=args.workers)
    if args.burst:
        figures |= burst(
            program,
            count=args.burst,
            seconds=args.burst_seconds,
            workers=args.workers,
            submitters=args.submitters,
            interval=args.interval,
            path=args.submit_path,
        )
    pages = trend_pages(program, requests=args.requests)
    for n, median, p95, queries in pages:
        figures[f"trends_{n}_median_ms"] = median
        figures[f"trends_{n}_p95_ms"] = p95
        figures[f"trends_{n}_queries"] = float(queries)

    per_s = figures["evaluate_per_s"]
    batched = figures["batched_per_s"]
    weekly = args.patients  # one report per patient per week
    print("\nSummary")
    print(
        f"  evaluation: {per_s:,.0f} reports/s one by one, {batched:,.0f}/s batched in one "
        f"process, {figures[f'batched_{args.workers}p_per_s']:,.0f}/s in {args.workers}; "
        f"inserting alone {figures['insert_per_s']:,.0f}/s, the full submit "
        f"{figures['submit_per_s']:,.0f}/s"
    )
    total = args.patients * args.weeks
    print(
        f"  extrapolated, not measured: a week's {weekly:,} reports take "
        f"{weekly / batched:,.0f} s of one worker; re-judging all {total:,} reports would take "
        f"{total / batched / 60:,.0f} min"
    )
    if "burst_severe_p99_s" in figures:
        print(
            f"  burst: report to severe alert p99 {figures['burst_severe_p99_s']:.2f} s "
            f"(target 10 s)"
        )
    if len(pages) == 2:
        (n_big, _, p95_big, q_big), (n_small, _, p95_small, q_small) = pages
        print(
            f"  trend page: p95 {p95_big:.1f} ms with {n_big} reports, {p95_small:.1f} ms with "
            f"{n_small}; queries {q_big} and {q_small}"
        )
    save_and_compare(args.results, figures, command=["bench/bench_alerts.py", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The alert path under load, for bench_alerts.py: batched judging in worker processes, and a
burst of diaries submitted while the real background workers run.

Child processes (this file run as a script) set Django up, say "ready" on stdout and wait
for a line on stdin, so that the time measured is the work and not the start-up:

    alerts_burst.py drain                  judge every report waiting (the worker's run)
    alerts_burst.py submit K N COUNT RATE RUN PATH
                                           submit the reports K, K+N, K+2N... of COUNT, the
                                           i-th at i/RATE seconds after the go line
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

BURST_KEY = "burst"  # idempotency keys of the burst's reports: burst:<run>:<i>


def _child(*args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _start_all(children: list[subprocess.Popen[str]]) -> float:
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if line != "ready":
            sys.exit(f"a child process did not start: {line!r}")
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    return started


def _results(children: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    out = []
    for child in children:
        stdout, _ = child.communicate(timeout=3600)
        if child.returncode != 0:
            sys.exit(f"a child process failed (exit {child.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def drain_in_processes(processes: int) -> tuple[float, int, int]:
    """Judge every waiting report with `processes` worker processes claiming batches side
    by side. Returns (seconds, reports judged, alerts raised)."""
    children = [_child("drain") for _ in range(processes)]
    started = _start_all(children)
    results = _results(children)
    seconds = time.perf_counter() - started
    return seconds, sum(r["judged"] for r in results), sum(r["raised"] for r in results)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def burst(
    program: Any,
    *,
    count: int,
    seconds: float,
    workers: int,
    submitters: int,
    interval: float,
    path: str,
) -> dict[str, float]:
    """Submit `count` diaries over `seconds` from `submitters` processes (`path` "service":
    through services.report_submit, as the portal does; "insert": the same rows and the same
    queueing of their judging, without the web tier's checks and audit row) while `workers`
    real background workers (`pallio db_worker --interval <interval>`) run, then measure how
    long after its report each alert was raised."""
    from django.db import connection

    from pallio.assessments.models import Alert, SymptomReport

    run = f"{int(time.time())}"
    rate = count / seconds
    print(
        f"\nBurst: {count:,} diaries in {seconds:.0f} s ({rate:,.0f}/s) from {submitters} "
        f"submitting processes ({path}); {workers} worker(s) "
        f"`pallio db_worker --interval {interval:g}`"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PALLIO_LOG_LEVEL": "ERROR"}
    pallio = [sys.executable, "-m", "pallio.cli"]
    worker_cmd = [*pallio, "db_worker", "--interval", f"{interval:g}", "--no-startup-delay"]
    running = [
        subprocess.Popen(worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        children = [
            _child("submit", str(k), str(submitters), str(count), f"{rate}", run, path)
            for k in range(submitters)
        ]
        _workers_up(workers)
        started = _start_all(children)
        results = _results(children)
        submitted_in = time.perf_counter() - started
        late = max(r["late_s"] for r in results)
        print(
            f"  submitted {sum(r['submitted'] for r in results):,} in {submitted_in:.1f} s "
            f"(the submitters were at most {late:.1f} s behind their schedule)"
        )
        burst_reports = SymptomReport.objects.filter(idempotency_key__startswith=f"burst:{run}:")
        deadline = time.monotonic() + 600
        while burst_reports.filter(evaluated_at__isnull=True).exists():
            if time.monotonic() > deadline:
                sys.exit("the burst was not judged within 10 minutes")
            time.sleep(0.5)
        drained_in = time.perf_counter() - started
    finally:
        for worker in running:
            worker.terminate()
        for worker in running:
            worker.wait(timeout=60)
    print(f"  every report judged {drained_in:.1f} s after the first was submitted")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM a.raised_at - r.created_at) FROM assessments_alert a "
            "JOIN assessments_symptomreport r ON r.id = a.report_id "
            "WHERE r.idempotency_key LIKE %s AND a.rule_key = 'esas-severe'",
            [f"burst:{run}:%"],
        )
        severe = [float(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM evaluated_at - created_at) FROM assessments_symptomreport "
            "WHERE idempotency_key LIKE %s",
            [f"burst:{run}:%"],
        )
        judged = [float(row[0]) for row in cursor.fetchall()]
    figures = {
        "burst_reports": float(len(judged)),
        "burst_severe_alerts": float(len(severe)),
        "burst_submit_s": submitted_in,
        "burst_drained_s": drained_in,
    }
    for name, values in (("severe alert", severe), ("report judged", judged)):
        p50, p95, p99 = (_percentile(values, q) for q in (50, 95, 99))
        slug = "severe" if name == "severe alert" else "judged"
        figures |= {f"burst_{slug}_p50_s": p50, f"burst_{slug}_p95_s": p95}
        figures[f"burst_{slug}_p99_s"] = p99
        print(
            f"  report to {name:<13} {len(values):>6,}: p50 {p50:5.2f} s  p95 {p95:5.2f} s  "
            f"p99 {p99:5.2f} s  max {max(values, default=float('nan')):5.2f} s"
        )
    _remove_burst(program, Alert.objects.filter(report__in=burst_reports), burst_reports)
    return figures


def _workers_up(workers: int) -> None:
    """Wait until the workers have run a judging task each (they are up, their caches
    warm), so that their start-up is not counted as delay."""
    from django_tasks_db.models import DBTaskResult

    from pallio.assessments.tasks import TASK_PATH, report_evaluate_task

    for _ in range(workers):
        report_evaluate_task.enqueue()
    deadline = time.monotonic() + 300
    while DBTaskResult.objects.filter(task_path=TASK_PATH).exclude(status="SUCCESSFUL").exists():
        if time.monotonic() > deadline:
            sys.exit("the workers did not start within 5 minutes")
        time.sleep(0.2)


def _remove_burst(program: Any, alerts: Any, reports: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from pallio.assessments.models import Alert
    from pallio.careplans.models import Task

    task_ids = list(alerts.exclude(task=None).values_list("task_id", flat=True))
    Alert.history.filter(id__in=alerts.values("id")).delete()
    alerts.delete()
    Task.history.filter(id__in=task_ids).delete()
    Task.objects.filter(id__in=task_ids).delete()
    reports.delete()
    DBTaskResult.objects.filter(task_path="pallio.assessments.tasks.report_evaluate_task").delete()


# --- child processes ---------------------------------------------------------------------------


def _setup() -> None:
    """Django, and the caches a running worker has warm (the instruments' parsed specs)."""
    from bench_pages import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from pallio.assessments import instruments as inst
    from pallio.assessments.models import Instrument

    for instrument in Instrument.objects.filter(program__isnull=True):
        inst.spec_of(instrument.questionnaire)


def _wait_for_go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def _drain() -> None:
    _setup()
    from pallio.assessments.services.batch import batch_size, reports_evaluate_pending

    _wait_for_go()
    judged = raised = 0
    while True:
        claimed, alerts = reports_evaluate_pending(limit=batch_size())
        if not claimed:
            break
        judged += len(claimed)
        raised += len(alerts)
    print(json.dumps({"judged": judged, "raised": raised}), flush=True)


def _submit(k: int, n: int, count: int, rate: float, run: str, path: str) -> None:
    _setup()
    from django.db import transaction

    from bench_alerts import PROGRAM_SLUG, _esas_answers
    from pallio.accounts.models import User
    from pallio.assessments import instruments as inst
    from pallio.assessments.models import Instrument, SymptomReport
    from pallio.assessments.services import ReportInput, report_submit
    from pallio.assessments.tasks import report_evaluation_enqueue
    from pallio.core import clock
    from pallio.patients.models import Patient

    director = User.objects.get(username="bench-director")
    patients = list(Patient.objects.filter(program__slug=PROGRAM_SLUG).order_by("mrn")[:count])
    esas = Instrument.objects.get(program__isnull=True, key="esas-r")
    spec = inst.spec_of(esas.questionnaire)
    rng = random.Random(k)
    mine = range(k, count, n)
    answers = {i: _esas_answers(rng, rng.uniform(0.05, 0.8)) for i in mine}
    scored = {i: inst.score(spec, a) for i, a in answers.items()} if path == "insert" else {}
    _wait_for_go()
    started = time.perf_counter()
    late: list[float] = []
    for i in mine:
        due = started + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        else:
            late.append(-wait)
        patient = patients[i % len(patients)]
        key = f"{BURST_KEY}:{run}:{i}"
        if path == "service":
            report_submit(
                actor=director,
                patient=patient,
                data=ReportInput("esas-r", answers[i], "patient", "portal"),
                idempotency_key=key,
            )
            continue
        # The rows report_submit writes, without its checks and audit row: the web tier's
        # cost stays out of the worker's measurement.
        with transaction.atomic():
            report = SymptomReport.objects.create(
                program_id=patient.program_id,
                patient=patient,
                instrument=esas,
                instrument_key="esas-r",
                answers=answers[i],
                scores=scored[i].as_json(),
                primary_score=scored[i].scales.get("total"),
                respondent="patient",
                channel="portal",
                answered_at=clock.now(),
                idempotency_key=key,
            )
            pk = str(report.pk)
            transaction.on_commit(lambda pk=pk: report_evaluation_enqueue(pk))
    result = {"submitted": len(mine), "late_s": max(late, default=0.0)}
    result["late_median_s"] = statistics.median(late) if late else 0.0
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "drain":
        _drain()
    elif sys.argv[1] == "submit":
        k, n, count = (int(a) for a in sys.argv[2:5])
        _submit(k, n, count, float(sys.argv[5]), sys.argv[6], sys.argv[7])

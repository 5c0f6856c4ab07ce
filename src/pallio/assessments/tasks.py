"""Background work for assessments: judging symptom reports against the alert rules.

Delivery is at-least-once with an idempotent effect. Reports are judged in batches
(services.batch): a worker claims up to PALLIO_ALERT_BATCH reports not yet judged (FOR
UPDATE SKIP LOCKED on PostgreSQL, so several workers share a burst) and commits their alerts
with their ``evaluated_at`` in one transaction; an alert is unique per (report, rule) too,
so a batch run twice, or killed and run again, raises nothing twice and loses nothing.

A saved report queues ``report_evaluate_task`` unless one is already waiting: the task
judges every report waiting when it runs, batch after batch, until none is left, so a
burst of thousands of diaries is a handful of tasks, and a single report is judged as soon
as a worker is free.

A worker killed with SIGKILL mid-task leaves its django-tasks-db row in RUNNING for ever
(the backend only picks READY rows and nothing resets a claimed one), while the batch's own
transaction is rolled back. ``reports_sweep`` marks such orphaned rows failed and queues a
run again when reports are still not judged some minutes after they were saved.
`pallio alerts sweep` runs it, and a running worker runs it at most once a minute after a
task, so one new report also heals what a dead worker dropped.

Escalation of alerts nobody acknowledged is the worker's too: `pallio alerts sweep` queues
one ``alerts_escalate_task`` per program (unless one is waiting); each step it writes is
unique per alert, so a run repeated after a crash escalates nothing twice.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django_tasks import task

from pallio.core import clock

log = logging.getLogger(__name__)

# A report still not evaluated this long after it was saved was dropped by a worker; a task
# row RUNNING this long belonged to a worker that died (a batch takes well under a second).
STALE_AFTER = timedelta(minutes=5)
SWEEP_EVERY_SECONDS = 60
# A run hands over to a fresh task after this long, so that no task row stays RUNNING for
# the whole of a long burst (the sweep would take it for a dead worker's).
RUN_FOR_SECONDS = 60.0
TASK_PATH = "pallio.assessments.tasks.report_evaluate_task"
ESCALATE_TASK_PATH = "pallio.assessments.tasks.alerts_escalate_task"


def _waiting_run() -> bool:
    """Whether a judging run is queued and not yet claimed by a worker."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists()


def report_evaluation_enqueue(report_id: str) -> None:
    """Queue a judging run for a report just saved, unless one is already waiting: that
    run has not started, so it will find this report too (it was committed first)."""
    if not _uses_task_table() or not _waiting_run():
        report_evaluate_task.enqueue(report_id=report_id)


def _uses_task_table() -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(report_evaluate_task.get_backend(), DatabaseBackend)


def reports_drain(*, run_for: float = RUN_FOR_SECONDS) -> int:
    """Judge the reports waiting, batch after batch, until none is left; returns the alerts
    raised. A batch that fails is judged again report by report, so one report that cannot
    be judged (it is logged) holds none of the others back."""
    from pallio.assessments.services import report_evaluate
    from pallio.assessments.services.batch import (
        batch_size,
        reports_evaluate_pending,
        reports_waiting,
    )

    size = batch_size()
    started = time.monotonic()
    failed: set[Any] = set()
    raised = 0
    while True:
        try:
            claimed, alerts = reports_evaluate_pending(limit=size, exclude=failed)
        except Exception:
            log.exception("a batch of symptom reports failed; judging them one by one")
            claimed, alerts = reports_waiting(limit=size, exclude=failed), []
            for report_id in claimed:
                try:
                    alerts += report_evaluate(report_id=report_id)
                except Exception:
                    log.exception("symptom report %s could not be judged", report_id)
                    failed.add(report_id)
        raised += len(alerts)
        if not claimed:
            return raised
        if time.monotonic() - started > run_for:
            report_evaluate_task.enqueue()
            return raised


@task()
def report_evaluate_task(*, report_id: str = "") -> int:
    """Judge every report waiting (`report_id` names the one whose saving queued the run);
    returns the number of alerts raised."""
    raised = reports_drain()
    if cache.add("pallio:assessments:sweep", 1, SWEEP_EVERY_SECONDS):
        reports_sweep()
    return raised


def _fail_orphans(task_path: str, cutoff: Any) -> int:
    """Mark failed the task rows a stopped worker left RUNNING (started before `cutoff`)."""
    from django_tasks_db.models import DBTaskResult

    orphans: int = DBTaskResult.objects.filter(
        task_path=task_path, status="RUNNING", started_at__lt=cutoff
    ).update(
        status="FAILED",
        finished_at=clock.now(),
        exception_class_path="pallio.assessments.tasks.WorkerLost",
        traceback="The worker running this task stopped before it finished.",
    )
    if orphans:
        log.warning("marked %s task(s) of a stopped worker as failed", orphans)
    return orphans


def reports_sweep(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Queue a judging run when reports saved more than `stale_after` ago are still not
    judged and no run is waiting; returns how many such reports there are."""
    from pallio.assessments.models import SymptomReport

    cutoff = clock.now() - stale_after
    _fail_orphans(TASK_PATH, cutoff)
    stale = SymptomReport.objects.filter(evaluated_at__isnull=True, created_at__lt=cutoff).count()
    if not stale:
        return 0
    if not _waiting_run():
        report_evaluate_task.enqueue()
    log.warning("%s symptom report(s) still not judged; a judging run is queued", stale)
    return stale


@task()
def missing_reports_task(*, program_id: str) -> int:
    from pallio.assessments.services import missing_reports_check
    from pallio.programs.models import Program

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    return len(missing_reports_check(program=program))


@task()
def unstable_phases_task(*, program_id: str) -> int:
    """Raise the 'unstable phase too long' alerts of one program (once per phase)."""
    from pallio.assessments.services import unstable_phases_check
    from pallio.programs.models import Program

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    return len(unstable_phases_check(program=program))


# --- escalation of unacknowledged alerts ------------------------------------------------------


@task()
def alerts_escalate_task(*, program_id: str) -> int:
    """Escalate the program's overdue unacknowledged alerts; returns the steps written.
    Each alert is escalated in its own transaction, each step once (escalation.py)."""
    from pallio.assessments.escalation import alerts_escalate
    from pallio.programs.models import Program

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    return len(alerts_escalate(program=program))


def escalations_enqueue(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Queue one escalation run per program, unless one is already waiting; a run a stopped
    worker left RUNNING is marked failed first. Returns how many runs were queued."""
    from django_tasks_db.models import DBTaskResult

    from pallio.programs.models import Program

    _fail_orphans(ESCALATE_TASK_PATH, clock.now() - stale_after)
    waiting = {
        str(row["kwargs"].get("program_id"))
        for row in DBTaskResult.objects.filter(
            task_path=ESCALATE_TASK_PATH, status="READY"
        ).values_list("args_kwargs", flat=True)
    }
    queued = 0
    for program_id in Program.objects.order_by("pk").values_list("pk", flat=True):
        if str(program_id) not in waiting:
            alerts_escalate_task.enqueue(program_id=str(program_id))
            queued += 1
    return queued

"""Background work for assessments: judging each symptom report against the alert rules.

Delivery is at-least-once with an idempotent effect. A report's alerts and its
``evaluated_at`` are committed together (services.report_evaluate), and an alert is unique
per (report, rule), so a task run twice raises nothing twice.

A worker killed with SIGKILL mid-task leaves its django-tasks-db row in RUNNING for ever
(the backend only picks READY rows and nothing resets a claimed one), while the report's
own transaction is rolled back. ``reports_sweep`` marks such orphaned rows failed and
queues again every report still not evaluated some minutes after it was saved.
`pallio alerts sweep` runs it, and a running worker runs it at most once a minute after a
task, so one new report also heals the ones a dead worker dropped.

Escalation of alerts nobody acknowledged is the worker's too: `pallio alerts sweep` queues
one ``alerts_escalate_task`` per program (unless one is waiting); each step it writes is
unique per alert, so a run repeated after a crash escalates nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django_tasks import task

from pallio.core import clock

log = logging.getLogger(__name__)

# A report still not evaluated this long after it was saved was dropped by a worker; a task
# row RUNNING this long belonged to a worker that died (an evaluation takes milliseconds).
STALE_AFTER = timedelta(minutes=5)
SWEEP_LIMIT = 1000
SWEEP_EVERY_SECONDS = 60
TASK_PATH = "pallio.assessments.tasks.report_evaluate_task"
ESCALATE_TASK_PATH = "pallio.assessments.tasks.alerts_escalate_task"


def report_evaluation_enqueue(report_id: str) -> None:
    report_evaluate_task.enqueue(report_id=report_id)


@task()
def report_evaluate_task(*, report_id: str) -> int:
    """Judge one report; returns the number of alerts raised."""
    from pallio.assessments.services import report_evaluate

    raised = report_evaluate(report_id=report_id)
    if cache.add("pallio:assessments:sweep", 1, SWEEP_EVERY_SECONDS):
        reports_sweep()
    return len(raised)


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


def reports_sweep(*, stale_after: timedelta = STALE_AFTER, limit: int = SWEEP_LIMIT) -> int:
    """Queue again every report whose evaluation never completed; returns how many."""
    from django_tasks_db.models import DBTaskResult

    from pallio.assessments.models import SymptomReport

    cutoff = clock.now() - stale_after
    _fail_orphans(TASK_PATH, cutoff)
    unevaluated = [
        str(pk)
        for pk in SymptomReport.objects.filter(evaluated_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ]
    if not unevaluated:
        return 0
    queued = {
        str(row["kwargs"].get("report_id"))
        for row in DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY")
        .filter(args_kwargs__kwargs__report_id__in=unevaluated)
        .values_list("args_kwargs", flat=True)
    }
    ids = [pk for pk in unevaluated if pk not in queued]
    for report_id in ids:
        report_evaluation_enqueue(report_id)
    if ids:
        log.warning("re-queued %s symptom report(s) whose evaluation never completed", len(ids))
    return len(ids)


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

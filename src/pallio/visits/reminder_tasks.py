"""The reminder sweep as background work: `pallio reminders sweep` queues it (every minute under
`make run`), the worker runs it (visits/reminders.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from pallio.core import clock

log = logging.getLogger(__name__)

SWEEP_TASK_PATH = "pallio.visits.reminder_tasks.visit_reminders_sweep_task"
# A sweep row RUNNING this long belonged to a worker that died.
STALE_RUN = timedelta(minutes=10)


@task()
def visit_reminders_sweep_task() -> str:
    """Claim and send the visit reminders whose time has come."""
    from pallio.visits.reminders import reminders_sweep

    result = reminders_sweep()
    if result.claimed or result.failed:
        log.info("visit reminders: %s", result)
    return str(result)


def visit_reminders_enqueue() -> bool:
    """Queue one sweep unless one is already waiting; a sweep a stopped worker left running is
    marked failed first. Returns whether one was queued."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        task_path=SWEEP_TASK_PATH, status="RUNNING", started_at__lt=clock.now() - STALE_RUN
    ).update(
        status="FAILED",
        finished_at=clock.now(),
        exception_class_path="pallio.visits.reminder_tasks.WorkerLost",
        traceback="The worker running this task stopped before it finished.",
    )
    if DBTaskResult.objects.filter(task_path=SWEEP_TASK_PATH, status="READY").exists():
        return False
    visit_reminders_sweep_task.enqueue()
    return True

"""The diary reminder sweep as background work: `pallio diary sweep` queues it (every minute
under `make run`), the worker runs it (portal/diary_reminders.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from pallio.core import clock

log = logging.getLogger(__name__)

SWEEP_TASK_PATH = "pallio.portal.diary_tasks.diary_reminders_sweep_task"
STALE_RUN = timedelta(minutes=10)


@task()
def diary_reminders_sweep_task() -> str:
    from pallio.portal.diary_reminders import diary_reminders_sweep

    result = diary_reminders_sweep()
    if result.claimed or result.failed:
        log.info("diary reminders: %s", result)
    return str(result)


def diary_reminders_enqueue() -> bool:
    """Queue one sweep unless one is already waiting (a run a stopped worker left running is
    marked failed first). Returns whether one was queued."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(
        task_path=SWEEP_TASK_PATH, status="RUNNING", started_at__lt=clock.now() - STALE_RUN
    ).update(
        status="FAILED",
        finished_at=clock.now(),
        exception_class_path="pallio.portal.diary_tasks.WorkerLost",
        traceback="The worker running this task stopped before it finished.",
    )
    if DBTaskResult.objects.filter(task_path=SWEEP_TASK_PATH, status="READY").exists():
        return False
    diary_reminders_sweep_task.enqueue()
    return True

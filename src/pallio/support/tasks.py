"""Background work of the 24/7 line: escalating calls nobody called back, and building the
morning hand-off's follow-up tasks once the day shift has started.

`pallio support sweep` (run each minute beside `pallio alerts sweep`) queues one
``support_sweep_task`` per program, unless one is already waiting; the worker runs it. Every
effect is idempotent (an escalation step is unique per call and step, a follow-up task unique
per call), so a run repeated after a crash, or two runs at once, do nothing twice.

A worker killed with SIGKILL mid-run leaves its django-tasks-db row RUNNING for ever (the
backend never resets a claimed row); the sweep marks such rows failed before queueing, so the
program's next run is not held back by a dead one.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django_tasks import task

from pallio.core import clock

log = logging.getLogger(__name__)

# A run RUNNING this long belonged to a worker that died (a run takes seconds).
STALE_AFTER = timedelta(minutes=5)
SWEEP_TASK_PATH = "pallio.support.tasks.support_sweep_task"


@task()
def support_sweep_task(*, program_id: str) -> int:
    """Escalate the program's due calls and build the morning hand-off's follow-ups when the
    day shift has started; returns the escalation steps written."""
    from pallio.programs.models import Program
    from pallio.support.escalation import calls_escalate
    from pallio.support.handoff import handoff_follow_ups_build

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    result = calls_escalate(program=program)
    handoff_follow_ups_build(program=program)
    return len(result.steps)


def _fail_orphans(cutoff: Any) -> int:
    """Mark failed the runs a stopped worker left RUNNING (started before `cutoff`)."""
    from django_tasks_db.models import DBTaskResult

    orphans: int = DBTaskResult.objects.filter(
        task_path=SWEEP_TASK_PATH, status="RUNNING", started_at__lt=cutoff
    ).update(
        status="FAILED",
        finished_at=clock.now(),
        exception_class_path="pallio.support.tasks.WorkerLost",
        traceback="The worker running this task stopped before it finished.",
    )
    if orphans:
        log.warning("marked %s support sweep(s) of a stopped worker as failed", orphans)
    return orphans


def support_sweeps_enqueue(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Queue one sweep per program unless one is waiting; returns how many were queued."""
    from django_tasks_db.models import DBTaskResult

    from pallio.programs.models import Program

    _fail_orphans(clock.now() - stale_after)
    waiting = {
        str(row["kwargs"].get("program_id"))
        for row in DBTaskResult.objects.filter(
            task_path=SWEEP_TASK_PATH, status="READY"
        ).values_list("args_kwargs", flat=True)
    }
    queued = 0
    for program_id in Program.objects.order_by("pk").values_list("pk", flat=True):
        if str(program_id) not in waiting:
            support_sweep_task.enqueue(program_id=str(program_id))
            queued += 1
    return queued

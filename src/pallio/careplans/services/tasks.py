"""Every write to the task list: create, complete, cancel, reassign, and close the tasks
that another record's act closes. Nothing outside these functions writes a task."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from pallio.audit.models import Action
from pallio.audit.services import audit_record, audit_record_many
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services.common import CONFLICT, _back_to, _raise
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.core.models import ConflictError, versioned_save
from pallio.core.validation import Errors, check_choice, check_text

# --- tasks -----------------------------------------------------------------------------------


def task_build(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    title: str,
    due: date,
    episode: Any = None,
    discipline: str = "",
    assigned_to: Any = None,
    detail: str = "",
    intervention: Any = None,
) -> Task:
    """The task task_create would write, checked but not saved."""
    errors: Errors = {}
    check_text(errors, "title", title, 200, required=True)
    check_text(errors, "detail", detail, 2000)
    check_choice(errors, "kind", kind, TaskKind.values)
    if discipline:
        check_choice(errors, "discipline", discipline, Discipline.values)
    if assigned_to is not None and assigned_to.program_id != patient.program_id:
        errors.setdefault("assigned_to", []).append("Choose someone on this program's staff.")
    _raise(errors)
    return Task(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        kind=kind,
        title=title.strip(),
        detail=detail.strip(),
        due=due,
        discipline=discipline,
        assigned_to=assigned_to,
        intervention=intervention,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def task_create(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    title: str,
    due: date,
    episode: Any = None,
    discipline: str = "",
    assigned_to: Any = None,
    detail: str = "",
    intervention: Any = None,
) -> Task:
    task = task_build(
        actor=actor,
        patient=patient,
        kind=kind,
        title=title,
        due=due,
        episode=episode,
        discipline=discipline,
        assigned_to=assigned_to,
        detail=detail,
        intervention=intervention,
    )
    task.save(force_insert=True)
    audit_record(
        actor=actor, action=Action.CREATE, event="task.create", patient=patient, target=task
    )
    return task


@transaction.atomic
def tasks_create_many(tasks: list[Task], *, actor: Any = None) -> list[Task]:
    """Write tasks made by task_build, with their history rows and their audit events, in a
    few statements whatever their number (the alert worker raises hundreds at once)."""
    if not tasks:
        return tasks
    bulk_create_with_history(tasks, Task)
    audit_record_many(
        [
            {
                "actor": actor,
                "action": Action.CREATE,
                "event": "task.create",
                "patient": task.patient,
                "target": task,
            }
            for task in tasks
        ]
    )
    return tasks


def _assert_open(task: Task) -> None:
    if task.status != Task.Status.OPEN:
        raise ValidationError(f"This task is already {task.get_status_display().lower()}.")


def _task_for_change(task: Task, expected_version: int | None) -> Task:
    """The task as stored now, locked, open, and at the version the user read. Changes are
    made on this copy, so a refused change leaves the caller's object as it was."""
    current = Task.objects.select_for_update().select_related("patient").get(pk=task.pk)
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(CONFLICT)
    _assert_open(current)
    return current


@transaction.atomic
def task_complete(
    *, actor: Any, task: Task, outcome: str, expected_version: int | None = None
) -> Task:
    """Close a task as done, saying what happened."""
    current = _task_for_change(task, expected_version)
    errors: Errors = {}
    check_text(errors, "outcome", outcome, 2000, required=True)
    _raise(errors)
    current.status = Task.Status.DONE
    current.outcome = outcome.strip()
    current.completed_at = clock.now()
    current.closed_by = actor if getattr(actor, "pk", None) else None
    versioned_save(current, None, ["status", "outcome", "completed_at", "closed_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="task.complete",
        patient=current.patient,
        target=current,
    )
    return _back_to(task, current)


@transaction.atomic
def task_cancel(
    *, actor: Any, task: Task, reason: str, expected_version: int | None = None
) -> Task:
    """Close a task without doing it, saying why."""
    current = _task_for_change(task, expected_version)
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    _raise(errors)
    current.status = Task.Status.CANCELLED
    current.cancel_reason = reason.strip()
    current.completed_at = clock.now()
    current.closed_by = actor if getattr(actor, "pk", None) else None
    versioned_save(current, None, ["status", "cancel_reason", "completed_at", "closed_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="task.cancel",
        patient=current.patient,
        target=current,
    )
    return _back_to(task, current)


@transaction.atomic
def task_reassign(
    *,
    actor: Any,
    task: Task,
    assigned_to: Any,
    discipline: str | None = None,
    expected_version: int | None = None,
) -> Task:
    """Give a task to someone else (or back to the discipline's queue with ``None``)."""
    current = _task_for_change(task, expected_version)
    if assigned_to is not None and assigned_to.program_id != current.program_id:
        raise ValidationError({"assigned_to": ["Choose someone on this program's staff."]})
    if assigned_to is not None and not access.can_access_patient(assigned_to, current.patient):
        # They could not open the patient's record, so the task would sit unseen.
        raise ValidationError(
            {
                "assigned_to": [
                    f"{assigned_to.display_name} is not on this patient's care team; "
                    "add them to the team first, or give the task to the discipline."
                ]
            }
        )
    current.assigned_to = assigned_to
    fields = ["assigned_to"]
    if discipline is not None:
        if discipline and discipline not in Discipline.values:
            raise ValidationError({"discipline": ["Choose one of the options."]})
        current.discipline = discipline
        fields.append("discipline")
    versioned_save(current, None, fields)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="task.reassign",
        patient=current.patient,
        target=current,
    )
    return _back_to(task, current)


@transaction.atomic
def first_contact_tasks_close(*, actor: Any, episode: Any, contact_at: Any, how: str) -> int:
    """The first visit or call was documented: close the episode's open first-contact tasks,
    saying how and when the patient was reached. Returns how many were closed."""
    closed = 0
    for task in Task.objects.select_for_update().filter(
        episode=episode, kind=TaskKind.FIRST_CONTACT, status=Task.Status.OPEN
    ):
        task_complete(
            actor=actor,
            task=task,
            outcome=f"First contact: {how}, {contact_at:%Y-%m-%d %H:%M} UTC.",
        )
        closed += 1
    return closed


# --- tasks another record's act changes -------------------------------------------------------
# The caller's act (resolving an alert, taking one) is the checked and audited one; these only
# keep its follow-up task in step, in the caller's transaction.


def task_close_with(*, task_id: Any, status: str) -> None:
    """Close the open task `task_id` as `status` (done or cancelled) because the record it
    follows up on closed. A task already closed stays as it is."""
    task = Task.objects.select_for_update().get(pk=task_id)
    if task.status != Task.Status.OPEN:
        return
    task.status = status
    task.completed_at = clock.now()
    task.save_versioned(expected_version=task.version, fields=["status", "completed_at"])


def task_assign_with(*, task: Task, user: Any) -> None:
    """Give the (locked) task to `user`, who took the record it follows up on."""
    task.assigned_to = user
    task.save_versioned(expected_version=task.version, fields=["assigned_to"])


def tasks_bulk_load(
    tasks: list[Task], *, batch_size: int, default_date: datetime | None = None
) -> None:
    """Write many tasks built in memory at once, each with its first history version (the
    demo programs). Ids are already set, so rows pointing at them may be built first."""
    bulk_create_with_history(tasks, Task, batch_size=batch_size, default_date=default_date)

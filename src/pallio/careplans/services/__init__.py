"""Every write to the care plan and the task list.

Keyword-only, atomic, audited in the same transaction, and checked against the clinical
privileges (core/privileges.py) at the top, the same for pages, API and imports. The writes
live by concern: the task list (tasks) and the care plan (plans).
"""

from __future__ import annotations

from pallio.careplans.services.common import CONFLICT, RecordT
from pallio.careplans.services.plans import (
    CODE_SYSTEMS,
    FINAL_OUTCOMES,
    PlanItem,
    care_plan_for_episode,
    care_plan_open_for,
    care_plan_review_record,
    goal_add,
    goal_review_record,
    goal_update,
    intervention_add,
    intervention_update,
    plan_item_mark_entered_in_error,
    problem_add,
    problem_update,
)
from pallio.careplans.services.tasks import (
    first_contact_tasks_close,
    task_assign_with,
    task_build,
    task_cancel,
    task_close_with,
    task_complete,
    task_create,
    task_reassign,
    tasks_bulk_load,
    tasks_create_many,
)

__all__ = [
    "CODE_SYSTEMS",
    "CONFLICT",
    "FINAL_OUTCOMES",
    "PlanItem",
    "RecordT",
    "care_plan_for_episode",
    "care_plan_open_for",
    "care_plan_review_record",
    "first_contact_tasks_close",
    "goal_add",
    "goal_review_record",
    "goal_update",
    "intervention_add",
    "intervention_update",
    "plan_item_mark_entered_in_error",
    "problem_add",
    "problem_update",
    "task_assign_with",
    "task_build",
    "task_cancel",
    "task_close_with",
    "task_complete",
    "task_create",
    "task_reassign",
    "tasks_bulk_load",
    "tasks_create_many",
]

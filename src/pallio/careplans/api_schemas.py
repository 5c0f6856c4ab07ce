"""What the care-plan and task endpoints of the JSON API answer and take."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from pallio.careplans.models import (
    Goal,
    GoalOutcome,
    GoalReview,
    Intervention,
    PlanDomain,
    Problem,
    Task,
)
from pallio.core.codes import Discipline

# Postgres integer columns stop here; larger numbers are refused as input, not as a crash.
MAX_VERSION = 2_147_483_647


class Error(Schema):
    detail: Any


def _uuid_of(user: Any) -> uuid.UUID | None:
    return user.uuid if user is not None else None


# --- what the API answers --------------------------------------------------------------------


class TaskOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    episode_id: uuid.UUID | None
    kind: str
    kind_label: str
    title: str
    detail: str
    discipline: str
    assigned_to: uuid.UUID | None = Field(description="the staff member's id (User.uuid)")
    due: date
    overdue: bool
    status: str
    intervention_id: uuid.UUID | None
    outcome: str
    cancel_reason: str
    completed_at: datetime | None
    version: int

    @staticmethod
    def resolve_kind_label(obj: Task) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_assigned_to(obj: Task) -> uuid.UUID | None:
        return _uuid_of(obj.assigned_to)

    @staticmethod
    def resolve_overdue(obj: Task, context: Any = None) -> bool:
        from pallio.core import clock

        return obj.status == Task.Status.OPEN and obj.due < clock.today_in(obj.program.timezone)


class ProblemOut(Schema):
    id: uuid.UUID
    domain: str
    domain_label: str
    code_system: str
    code: str
    display: str
    detail: str
    status: str
    version: int
    entered_in_error: bool
    entered_in_error_reason: str
    updated_at: datetime
    updated_by: uuid.UUID | None

    @staticmethod
    def resolve_domain_label(obj: Problem) -> str:
        return obj.get_domain_display()

    @staticmethod
    def resolve_updated_by(obj: Problem) -> uuid.UUID | None:
        return _uuid_of(obj.updated_by)


class GoalReviewOut(Schema):
    id: uuid.UUID
    goal_id: uuid.UUID
    outcome: str
    outcome_label: str
    comment: str
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime

    @staticmethod
    def resolve_outcome_label(obj: GoalReview) -> str:
        return obj.get_outcome_display()

    @staticmethod
    def resolve_reviewed_by(obj: GoalReview) -> uuid.UUID | None:
        return _uuid_of(obj.reviewed_by)


class GoalOut(Schema):
    id: uuid.UUID
    problem_id: uuid.UUID | None
    patient_words: str = Field(description="the goal in the patient's own words")
    target: str = Field(description="the measurable target")
    review_date: date
    conversation_id: uuid.UUID | None = Field(
        description="the signed goals-of-care conversation it came from"
    )
    status: str
    latest_outcome: str
    latest_review: GoalReviewOut | None
    version: int
    entered_in_error: bool
    entered_in_error_reason: str
    updated_at: datetime

    @staticmethod
    def resolve_latest_review(obj: Goal) -> GoalReview | None:
        cached = getattr(obj, "_prefetched_objects_cache", {}).get("reviews")
        if cached is not None:
            return cached[0] if cached else None
        return obj.reviews.select_related("reviewed_by").order_by("-reviewed_at").first()


class InterventionOut(Schema):
    id: uuid.UUID
    problem_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    description: str
    discipline: str
    discipline_label: str
    status: str
    version: int
    entered_in_error: bool
    entered_in_error_reason: str
    updated_at: datetime
    tasks: list[TaskOut]

    @staticmethod
    def resolve_discipline_label(obj: Intervention) -> str:
        return obj.get_discipline_display()

    @staticmethod
    def resolve_tasks(obj: Intervention) -> list[Task]:
        return list(obj.tasks.all())


class CarePlanOut(Schema):
    id: uuid.UUID | None = Field(description="null until the first entry opens the plan")
    patient_id: uuid.UUID
    episode_id: uuid.UUID | None
    review_due: date | None
    last_reviewed_at: datetime | None
    last_reviewed_by: uuid.UUID | None
    version: int | None
    problems: list[ProblemOut]
    goals: list[GoalOut]
    interventions: list[InterventionOut]


class TasksOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    items: list[TaskOut]


# --- what the API takes ----------------------------------------------------------------------


class _In(Schema):
    """Input: unknown fields are refused, never ignored, and text must be storable (no NUL
    byte, no unpaired surrogate)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("This field contains a character that is not allowed.") from None
            if "\x00" in value:
                raise ValueError("This field contains a character that is not allowed.")
        return value


class ProblemIn(_In):
    domain: PlanDomain
    code_system: str = Field(
        max_length=200,
        description="http://snomed.info/sct or the program's own care-plan problem system",
    )
    code: str = Field(max_length=40)
    display: str = Field(max_length=200)
    detail: str = Field("", max_length=2000)


class ProblemUpdateIn(ProblemIn):
    version: int = Field(
        ge=1, le=MAX_VERSION, description="the version the change was made against"
    )
    status: Problem.Status = Problem.Status.ACTIVE


class GoalIn(_In):
    patient_words: str = Field(max_length=1000)
    target: str = Field(max_length=300)
    review_date: date
    problem_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = Field(
        None, description="a signed goals-of-care conversation with the same patient"
    )


class GoalUpdateIn(GoalIn):
    version: int = Field(ge=1, le=MAX_VERSION)


class InterventionIn(_In):
    description: str = Field(max_length=500)
    discipline: Discipline
    problem_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None


class InterventionUpdateIn(InterventionIn):
    version: int = Field(ge=1, le=MAX_VERSION)
    status: Intervention.Status = Intervention.Status.ACTIVE


class GoalReviewIn(_In):
    outcome: GoalOutcome = Field(description="met and no_longer_relevant close the goal")
    comment: str = Field("", max_length=2000)
    next_review_date: date | None = None
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class TaskIn(_In):
    title: str = Field(max_length=200)
    due: date
    discipline: Discipline | None = None
    assigned_to: uuid.UUID | None = Field(None, description="a staff member's id (User.uuid)")
    detail: str = Field("", max_length=2000)
    intervention_id: uuid.UUID | None = None


class TaskCompleteIn(_In):
    outcome: str = Field(max_length=2000, description="what was done")
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class TaskCancelIn(_In):
    reason: str = Field(max_length=300)
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class TaskReassignIn(_In):
    assigned_to: uuid.UUID | None = Field(
        description="a staff member's id (User.uuid); null gives it back to the discipline"
    )
    discipline: Discipline | None = None
    version: int | None = Field(None, ge=1, le=MAX_VERSION)


class TasksQuery(Schema):
    tab: str = Field("mine", pattern=r"^(mine|discipline|all)$")
    page: int = Field(1, ge=1, le=1_000_000)

"""Care-plan and task endpoints of the JSON API: the same services and selectors as the
pages, so the same privileges, checks, audit rows and version conflicts.

A patient, plan entry or task the caller may not reach gets the same 404 as one that does
not exist. Creates honour an ``Idempotency-Key``: a retry with the same key and body
returns the first record (200, ``Idempotent-Replayed: true``); the same key with another
body is refused (409). Updates carry the ``version`` the client read; a stale one is 409.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router
from ninja.responses import Status

from pallio.accounts.models import User
from pallio.acp.models import GoalsOfCareConversation
from pallio.careplans import selectors, services
from pallio.careplans.api_schemas import (
    CarePlanOut,
    Error,
    GoalIn,
    GoalOut,
    GoalReviewIn,
    GoalReviewOut,
    GoalUpdateIn,
    InterventionIn,
    InterventionOut,
    InterventionUpdateIn,
    ProblemIn,
    ProblemOut,
    ProblemUpdateIn,
    TaskCancelIn,
    TaskCompleteIn,
    TaskIn,
    TaskOut,
    TaskReassignIn,
    TasksOut,
    TasksQuery,
    _uuid_of,
)
from pallio.careplans.models import CarePlan, Goal, GoalReview, Intervention, Problem, Task
from pallio.core import access
from pallio.core.idempotency import idempotent_create
from pallio.patients.selectors import patient_get_for

router = Router()


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}
IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=64,
    pattern=r"^[\x21-\x7e]+$",
    description=(
        "A retry with the same key and body returns the first record (200, "
        "Idempotent-Replayed: true); the same key with another body is refused (409)."
    ),
)


# --- helpers ---------------------------------------------------------------------------------


def _caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, perm: str) -> None:
    if not access.has_perm(user, perm):
        raise PermissionDenied("Your role does not allow this.")


def _on_plan(model: Any, plan: CarePlan, pk: uuid.UUID | None, name: str) -> Any:
    if pk is None:
        return None
    record = model.objects.filter(pk=pk, plan=plan, entered_in_error=False).first()
    if record is None:
        raise ValidationError({name: ["Choose an entry of this patient's care plan."]})
    return record


def _conversation(patient: Any, pk: uuid.UUID | None) -> Any:
    if pk is None:
        return None
    conversation = GoalsOfCareConversation.objects.filter(pk=pk, patient_id=patient.pk).first()
    if conversation is None:
        raise ValidationError({"conversation_id": ["Choose a conversation with this patient."]})
    return conversation


def _staff(user: Any, pk: uuid.UUID | None) -> Any:
    if pk is None:
        return None
    person = User.objects.filter(uuid=pk, program_id=user.program_id, is_active=True).first()
    if person is None:
        raise ValidationError({"assigned_to": ["Choose someone on this program's staff."]})
    return person


def _create(
    request: HttpRequest,
    response: HttpResponse,
    *,
    scope: str,
    key: str | None,
    payload: Any,
    create: Any,
) -> Any:
    user = _caller(request)
    record, created = idempotent_create(
        user=user, scope=scope, key=key or "", payload=payload, create=create
    )
    if created:
        return Status(201, record)
    response["Idempotent-Replayed"] = "true"
    return Status(200, record)


def _plan_read(user: Any, patient_id: uuid.UUID) -> dict[str, Any]:
    context = selectors.care_plan_read_for(user, patient_id)
    plan = context["plan"]
    return {
        "id": plan.pk if plan else None,
        "patient_id": context["patient"].pk,
        "episode_id": context["episode"].pk if context["episode"] else None,
        "review_due": plan.review_due if plan else None,
        "last_reviewed_at": plan.last_reviewed_at if plan else None,
        "last_reviewed_by": _uuid_of(plan.last_reviewed_by) if plan else None,
        "version": plan.version if plan else None,
        "problems": context["problems"],
        "goals": context["goals"],
        "interventions": context["interventions"],
    }


# --- the plan --------------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}",
    response={200: CarePlanOut, **ERRORS},
    summary="A patient's care plan",
)
def care_plan_read(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    """The plan of the patient's current episode: problems, goals with their latest review,
    interventions with their tasks. Entries entered in error are left out."""
    user = _caller(request)
    _require(user, "care_plan.view")
    return _plan_read(user, patient_id)


@router.post(
    "/patients/{patient_id}/problems",
    response={200: ProblemOut, 201: ProblemOut, **BODY_ERRORS},
    summary="Add a problem to the care plan",
)
def problem_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: ProblemIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    user = _caller(request)
    _require(user, "care_plan.view")
    patient = patient_get_for(user, patient_id, audit=False)

    def create() -> Problem:
        plan = services.care_plan_open_for(actor=user, patient=patient)
        return services.problem_add(actor=user, plan=plan, **payload.dict())

    return _create(
        request,
        response,
        scope="care_plan.problem.create",
        key=idempotency_key,
        payload={"patient": str(patient.pk), **payload.dict()},
        create=create,
    )


@router.put(
    "/problems/{problem_id}",
    response={200: ProblemOut, **BODY_ERRORS},
    summary="Change a problem (409 when someone changed it first)",
)
def problem_change(request: HttpRequest, problem_id: uuid.UUID, payload: ProblemUpdateIn) -> Any:
    user = _caller(request)
    _require(user, "care_plan.view")
    _, problem = selectors.plan_item_get_for(user, "problem", problem_id)
    data = payload.dict()
    return services.problem_update(
        actor=user, problem=problem, expected_version=data.pop("version"), **data
    )


@router.post(
    "/patients/{patient_id}/goals",
    response={200: GoalOut, 201: GoalOut, **BODY_ERRORS},
    summary="Add a goal to the care plan",
)
def goal_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: GoalIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    user = _caller(request)
    _require(user, "care_plan.view")
    patient = patient_get_for(user, patient_id, audit=False)

    def create() -> Goal:
        plan = services.care_plan_open_for(actor=user, patient=patient)
        return services.goal_add(
            actor=user,
            plan=plan,
            patient_words=payload.patient_words,
            target=payload.target,
            review_date=payload.review_date,
            problem=_on_plan(Problem, plan, payload.problem_id, "problem_id"),
            conversation=_conversation(patient, payload.conversation_id),
        )

    return _create(
        request,
        response,
        scope="care_plan.goal.create",
        key=idempotency_key,
        payload={"patient": str(patient.pk), **payload.dict()},
        create=create,
    )


@router.put(
    "/goals/{goal_id}",
    response={200: GoalOut, **BODY_ERRORS},
    summary="Change a goal (409 when someone changed it first)",
)
def goal_change(request: HttpRequest, goal_id: uuid.UUID, payload: GoalUpdateIn) -> Any:
    user = _caller(request)
    _require(user, "care_plan.view")
    patient, goal = selectors.plan_item_get_for(user, "goal", goal_id)
    return services.goal_update(
        actor=user,
        goal=goal,
        expected_version=payload.version,
        patient_words=payload.patient_words,
        target=payload.target,
        review_date=payload.review_date,
        problem=_on_plan(Problem, goal.plan, payload.problem_id, "problem_id"),
        conversation=_conversation(patient, payload.conversation_id),
    )


@router.post(
    "/goals/{goal_id}/reviews",
    response={200: GoalReviewOut, 201: GoalReviewOut, **BODY_ERRORS},
    summary="Record progress on a goal",
)
def goal_review_create(
    request: HttpRequest,
    response: HttpResponse,
    goal_id: uuid.UUID,
    payload: GoalReviewIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    """Met and no longer relevant close the goal; partly met and not met keep it open
    (with `next_review_date` as its new review date when given)."""
    user = _caller(request)
    _require(user, "care_plan.view")
    _, goal = selectors.plan_item_get_for(user, "goal", goal_id)

    def create() -> GoalReview:
        return services.goal_review_record(
            actor=user,
            goal=goal,
            outcome=payload.outcome,
            comment=payload.comment,
            next_review_date=payload.next_review_date,
            expected_version=payload.version,
        )

    return _create(
        request,
        response,
        scope="care_plan.goal.review",
        key=idempotency_key,
        payload={"goal": str(goal.pk), **payload.dict()},
        create=create,
    )


@router.post(
    "/patients/{patient_id}/interventions",
    response={200: InterventionOut, 201: InterventionOut, **BODY_ERRORS},
    summary="Add an intervention to the care plan",
)
def intervention_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: InterventionIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    user = _caller(request)
    _require(user, "care_plan.view")
    patient = patient_get_for(user, patient_id, audit=False)

    def create() -> Intervention:
        plan = services.care_plan_open_for(actor=user, patient=patient)
        return services.intervention_add(
            actor=user,
            plan=plan,
            description=payload.description,
            discipline=payload.discipline,
            problem=_on_plan(Problem, plan, payload.problem_id, "problem_id"),
            goal=_on_plan(Goal, plan, payload.goal_id, "goal_id"),
        )

    return _create(
        request,
        response,
        scope="care_plan.intervention.create",
        key=idempotency_key,
        payload={"patient": str(patient.pk), **payload.dict()},
        create=create,
    )


@router.put(
    "/interventions/{intervention_id}",
    response={200: InterventionOut, **BODY_ERRORS},
    summary="Change an intervention (409 when someone changed it first)",
)
def intervention_change(
    request: HttpRequest, intervention_id: uuid.UUID, payload: InterventionUpdateIn
) -> Any:
    user = _caller(request)
    _require(user, "care_plan.view")
    _, intervention = selectors.plan_item_get_for(user, "intervention", intervention_id)
    plan = intervention.plan
    return services.intervention_update(
        actor=user,
        intervention=intervention,
        expected_version=payload.version,
        description=payload.description,
        discipline=payload.discipline,
        problem=_on_plan(Problem, plan, payload.problem_id, "problem_id"),
        goal=_on_plan(Goal, plan, payload.goal_id, "goal_id"),
        status=payload.status,
    )


# --- tasks -----------------------------------------------------------------------------------


@router.post(
    "/patients/{patient_id}/tasks",
    response={200: TaskOut, 201: TaskOut, **BODY_ERRORS},
    summary="Add a task for a patient",
)
def task_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: TaskIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    """A care-plan task with an owner (a person, or a discipline's list) and a due date."""
    user = _caller(request)
    _require(user, "task.worklist")
    patient = patient_get_for(user, patient_id, audit=False)

    def create() -> Task:
        plan = services.care_plan_open_for(actor=user, patient=patient)
        return services.task_create(
            actor=user,
            patient=patient,
            episode=plan.episode,
            kind="care_plan",
            title=payload.title,
            due=payload.due,
            discipline=payload.discipline or "",
            assigned_to=_staff(user, payload.assigned_to),
            detail=payload.detail,
            intervention=_on_plan(Intervention, plan, payload.intervention_id, "intervention_id"),
        )

    return _create(
        request,
        response,
        scope="task.create",
        key=idempotency_key,
        payload={"patient": str(patient.pk), **payload.dict()},
        create=create,
    )


@router.get("/tasks", response={200: TasksOut, **ERRORS}, summary="My task list")
def task_list(request: HttpRequest, filters: Query[TasksQuery]) -> Any:
    """Open tasks, overdue first then by due date, 25 a page. `tab`: `mine` (assigned to
    me), `discipline` (my discipline's unassigned tasks), `all` (program-wide roles only)."""
    user = _caller(request)
    _require(user, "task.worklist")
    page = selectors.task_list_page_for(user, filters.tab, filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": selectors.PAGE_SIZE,
        "items": list(page.object_list),
    }


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **BODY_ERRORS},
    summary="Complete a task, saying what was done",
)
def task_complete(request: HttpRequest, task_id: uuid.UUID, payload: TaskCompleteIn) -> Any:
    user = _caller(request)
    _require(user, "task.worklist")
    task = selectors.task_get_for(user, task_id)
    return services.task_complete(
        actor=user, task=task, outcome=payload.outcome, expected_version=payload.version
    )


@router.post(
    "/tasks/{task_id}/cancel",
    response={200: TaskOut, **BODY_ERRORS},
    summary="Cancel a task, saying why",
)
def task_cancel(request: HttpRequest, task_id: uuid.UUID, payload: TaskCancelIn) -> Any:
    user = _caller(request)
    _require(user, "task.worklist")
    task = selectors.task_get_for(user, task_id)
    return services.task_cancel(
        actor=user, task=task, reason=payload.reason, expected_version=payload.version
    )


@router.post(
    "/tasks/{task_id}/reassign",
    response={200: TaskOut, **BODY_ERRORS},
    summary="Give a task to someone else, or back to the discipline's list",
)
def task_reassign(request: HttpRequest, task_id: uuid.UUID, payload: TaskReassignIn) -> Any:
    user = _caller(request)
    _require(user, "task.worklist")
    task = selectors.task_get_for(user, task_id)
    return services.task_reassign(
        actor=user,
        task=task,
        assigned_to=_staff(user, payload.assigned_to),
        discipline=payload.discipline,
        expected_version=payload.version,
    )

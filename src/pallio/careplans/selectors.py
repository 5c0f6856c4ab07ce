"""Reads of the care plan and tasks. Every read that reaches a patient goes through
``patient_get_for`` first (core access rules); these functions take an already-checked
patient or plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import (
    CarePlan,
    Goal,
    GoalOutcome,
    GoalReview,
    Intervention,
    PlanDomain,
    Problem,
    Task,
)
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.episodes.models import EpisodeOfCare
from pallio.patients.selectors import patient_get_for, patient_header_context


def plan_changes_between(
    *, patient: Any, since: datetime, until: datetime, by: Any = None
) -> list[dict[str, str]]:
    """The problems, goals and interventions added or changed on the patient's plans in a
    period (by one person, if named), as [{"kind", "id", "summary"}], oldest first. A visit
    note records these as the plan changes made in the visit."""
    changes: list[tuple[datetime, dict[str, str]]] = []
    plans = CarePlan.objects.filter(patient=patient)
    for kind, model, label in (
        ("problem", Problem, "display"),
        ("goal", Goal, "target"),
        ("intervention", Intervention, "description"),
    ):
        rows = model.objects.filter(plan__in=plans, updated_at__gte=since, updated_at__lte=until)
        if by is not None:
            rows = rows.filter(updated_by=by)
        for row in rows:
            verb = "Added" if row.version == 1 else "Changed"
            if row.entered_in_error:
                verb = "Marked entered in error"
            summary = f"{verb} {kind}: {getattr(row, label)}"
            changes.append((row.updated_at, {"kind": kind, "id": str(row.pk), "summary": summary}))
    changes.sort(key=lambda pair: pair[0])
    return [change for _, change in changes]


# --- the plan page ---------------------------------------------------------------------------

PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 50
ITEM_MODELS: dict[str, Any] = {"problem": Problem, "goal": Goal, "intervention": Intervention}


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such record") from None


def plan_of(patient: Any) -> tuple[Any, CarePlan | None]:
    """The patient's current episode (the active one, else the latest) and its plan."""
    episode = (
        EpisodeOfCare.objects.filter(patient_id=patient.pk)
        .select_related("care_plan__last_reviewed_by")
        .order_by(
            Case(When(status="active", then=Value(0)), default=Value(1)),
            "-start",
        )
        .first()
    )
    if episode is None:
        return None, None
    try:
        plan = episode.care_plan
    except CarePlan.DoesNotExist:
        plan = None
    return episode, plan


@dataclass
class ProblemRow:
    problem: Problem
    goals: list[Goal] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)


@dataclass
class DomainSection:
    key: str
    label: str
    problems: list[ProblemRow]


def _plan_items(plan: CarePlan | None) -> dict[str, Any]:
    """Problems by domain with their goals and interventions; goals with their reviews
    (newest first, so ``reviews.0`` is the latest); interventions with their open tasks.
    Six queries whatever the plan holds."""
    if plan is None:
        return {
            "domains": [],
            "unlinked_goals": [],
            "unlinked_interventions": [],
            "voided": [],
            "problems": [],
            "goals": [],
            "interventions": [],
        }
    problems = list(
        Problem.objects.filter(plan=plan).select_related("updated_by", "entered_in_error_by")
    )
    goals = list(
        Goal.objects.filter(plan=plan)
        .select_related("updated_by", "conversation", "entered_in_error_by")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=GoalReview.objects.select_related("reviewed_by").order_by(
                    "-reviewed_at", "-created_at"
                ),
            )
        )
    )
    interventions = list(
        Intervention.objects.filter(plan=plan)
        .select_related("updated_by", "entered_in_error_by")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.select_related("assigned_to", "program").order_by(
                    "due", "created_at"
                ),
            )
        )
    )
    rows = {p.pk: ProblemRow(p) for p in problems if not p.entered_in_error}
    unlinked_goals: list[Goal] = []
    unlinked_interventions: list[Intervention] = []
    for goal in goals:
        if goal.entered_in_error:
            continue
        row = rows.get(goal.problem_id) if goal.problem_id else None
        (row.goals if row else unlinked_goals).append(goal)
    for intervention in interventions:
        if intervention.entered_in_error:
            continue
        row = rows.get(intervention.problem_id) if intervention.problem_id else None
        (row.interventions if row else unlinked_interventions).append(intervention)
    domains = []
    for key, label in PlanDomain.choices:
        in_domain = [row for row in rows.values() if row.problem.domain == key]
        in_domain.sort(key=lambda row: (row.problem.status != "active", row.problem.created_at))
        domains.append(DomainSection(key, str(label), in_domain))
    voided = [
        (kind, item)
        for kind, items in (("problem", problems), ("goal", goals), ("intervention", interventions))
        for item in items
        if item.entered_in_error
    ]
    return {
        "domains": domains,
        "unlinked_goals": unlinked_goals,
        "unlinked_interventions": unlinked_interventions,
        "voided": voided,
        "problems": [p for p in problems if not p.entered_in_error],
        "goals": [g for g in goals if not g.entered_in_error],
        "interventions": [i for i in interventions if not i.entered_in_error],
    }


def signed_conversations_of(patient: Any) -> list[Any]:
    """The patient's signed goals-of-care conversations a goal can come from, newest first."""
    from pallio.acp.models import GoalsOfCareConversation

    return list(
        GoalsOfCareConversation.objects.filter(
            patient_id=patient.pk, status="signed", entered_in_error=False
        ).order_by("-held_at")
    )


def care_plan_page_for(user: Any, patient_id: Any, *, audit: bool = True) -> dict[str, Any]:
    """Everything the care-plan page shows, in a fixed number of queries."""
    patient = patient_get_for(user, patient_id, event="care_plan.read", audit=audit)
    episode, plan = plan_of(patient)
    context = patient_header_context(user, patient)
    context.update(
        {
            "episode": episode,
            "plan": plan,
            "conversations": signed_conversations_of(patient),
            **_plan_items(plan),
        }
    )
    context["review_overdue"] = bool(
        plan and plan.review_due and plan.review_due < context["today"]
    )
    return context


def care_plan_read_for(user: Any, patient_id: Any) -> dict[str, Any]:
    """The plan for the API: the patient (audited read), episode, plan and its items."""
    patient = patient_get_for(user, patient_id, event="care_plan.read")
    episode, plan = plan_of(patient)
    return {"patient": patient, "episode": episode, "plan": plan, **_plan_items(plan)}


def plan_item_get_for(
    user: Any, kind: str, item_id: Any, *, patient_id: Any = None, audit: bool = False
) -> tuple[Any, Any]:
    """(patient, item) for a problem, goal or intervention the user may reach; Http404 for a
    missing item, another patient's (when ``patient_id`` is given) and a forbidden one alike."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise Http404("No such record")
    item = model.objects.select_related("plan__program").filter(pk=_as_uuid(item_id)).first()
    if item is None or (patient_id is not None and str(item.plan.patient_id) != str(patient_id)):
        raise Http404("No such record")
    patient = patient_get_for(user, item.plan.patient_id, event="care_plan.read", audit=audit)
    return patient, item


def plan_get_for(user: Any, patient_id: Any) -> tuple[Any, CarePlan | None, Any]:
    """(patient, plan or None, episode) for a write: the plan of the active episode."""
    patient = patient_get_for(user, patient_id, audit=False)
    episode, plan = plan_of(patient)
    return patient, plan, episode


# --- the plan's history ----------------------------------------------------------------------

HISTORY_FIELDS: dict[str, list[tuple[str, str]]] = {
    "problem": [
        ("domain", "Domain"),
        ("display", "Problem"),
        ("detail", "Detail"),
        ("status", "Status"),
    ],
    "goal": [
        ("patient_words", "In the patient's words"),
        ("target", "Measurable target"),
        ("review_date", "Review date"),
        ("problem_id", "Problem"),
        ("conversation_id", "From the conversation"),
        ("status", "Status"),
        ("latest_outcome", "Latest outcome"),
    ],
    "intervention": [
        ("description", "Intervention"),
        ("discipline", "Discipline"),
        ("problem_id", "Problem"),
        ("goal_id", "Goal"),
        ("status", "Status"),
    ],
    "plan": [("review_due", "Next review due")],
}
KIND_LABELS = {"problem": "Problem", "goal": "Goal", "intervention": "Intervention", "plan": "Plan"}


@dataclass
class HistoryEntry:
    when: datetime
    who: Any
    kind: str
    label: str
    verb: str
    changes: list[tuple[str, str, str]]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _shown(kind: str, name: str, value: Any, names: dict[Any, str]) -> str:
    if value in (None, ""):
        return "—"
    if name.endswith("_id"):
        return names.get(value, "(another entry)")
    choices = {
        ("problem", "domain"): PlanDomain,
        ("problem", "status"): Problem.Status,
        ("goal", "status"): Goal.Status,
        ("goal", "latest_outcome"): GoalOutcome,
        ("intervention", "discipline"): Discipline,
        ("intervention", "status"): Intervention.Status,
    }.get((kind, name))
    if choices is not None:
        return str(dict(choices.choices).get(value, value))
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    return str(value)


def care_plan_history_for(user: Any, patient_id: Any, page: Any) -> dict[str, Any]:
    """Every version of every item of the patient's plans, newest first: who, when and what
    changed (from each model's history), with the goal reviews. A fixed number of queries."""
    patient = patient_get_for(user, patient_id, event="care_plan.history.read")
    plan_ids = list(CarePlan.objects.filter(patient_id=patient.pk).values_list("pk", flat=True))
    histories = {
        "problem": Problem.history.filter(plan_id__in=plan_ids),
        "goal": Goal.history.filter(plan_id__in=plan_ids),
        "intervention": Intervention.history.filter(plan_id__in=plan_ids),
        "plan": CarePlan.history.filter(id__in=plan_ids),
    }
    names: dict[Any, str] = {}
    names.update(Problem.objects.filter(plan_id__in=plan_ids).values_list("pk", "display"))
    names.update(Goal.objects.filter(plan_id__in=plan_ids).values_list("pk", "target"))
    from pallio.acp.models import GoalsOfCareConversation

    for pk, held_at in GoalsOfCareConversation.objects.filter(patient_id=patient.pk).values_list(
        "pk", "held_at"
    ):
        names[pk] = f"Conversation of {held_at:%-d %b %Y}"
    entries: list[HistoryEntry] = []
    for kind, rows in histories.items():
        previous: dict[Any, Any] = {}
        related = ["history_user", "last_reviewed_by" if kind == "plan" else "updated_by"]
        for row in rows.select_related(*related).order_by("history_date", "history_id"):
            before = previous.get(row.id)
            previous[row.id] = row
            label = _label_of(kind, row)
            if before is None:
                verb = "Opened" if kind == "plan" else "Added"
                changes = [
                    (title, "", _shown(kind, name, getattr(row, name), names))
                    for name, title in HISTORY_FIELDS[kind]
                    if getattr(row, name) not in (None, "")
                ]
            else:
                changes = [
                    (
                        title,
                        _shown(kind, name, getattr(before, name), names),
                        _shown(kind, name, getattr(row, name), names),
                    )
                    for name, title in HISTORY_FIELDS[kind]
                    if getattr(before, name) != getattr(row, name)
                ]
                verb = "Changed"
                if kind == "plan" and row.last_reviewed_at != before.last_reviewed_at:
                    verb = "Plan reviewed"
                if kind != "plan" and row.entered_in_error and not before.entered_in_error:
                    verb = "Marked entered in error"
                    changes = [("Reason", "", row.entered_in_error_reason)]
            # The record names who made each version; the request's user is a fallback.
            who = row.last_reviewed_by if kind == "plan" else row.updated_by
            entries.append(
                HistoryEntry(row.history_date, who or row.history_user, kind, label, verb, changes)
            )
    reviews = GoalReview.objects.filter(goal__plan_id__in=plan_ids).select_related(
        "goal", "reviewed_by"
    )
    for review in reviews:
        changes = [("Outcome", "", review.get_outcome_display())]
        if review.comment:
            changes.append(("Comment", "", review.comment))
        entries.append(
            HistoryEntry(
                review.reviewed_at,
                review.reviewed_by,
                "goal",
                review.goal.target,
                "Progress reviewed",
                changes,
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    context = patient_header_context(user, patient)
    context["page"] = Paginator(entries, HISTORY_PAGE_SIZE).get_page(page)
    return context


def _label_of(kind: str, row: Any) -> str:
    if kind == "problem":
        return str(row.display)
    if kind == "goal":
        return str(row.target)
    if kind == "intervention":
        return str(row.description)
    return "Care plan"


# --- the chart's summary ---------------------------------------------------------------------


def care_plan_chart_section_for(user: Any, patient: Any) -> dict[str, Any]:
    """What careplans/_chart_plan.html shows on the chart of an already access-checked
    patient: active problems by domain, active goals with their review dates, the next plan
    review, and the count of open tasks. Four queries."""
    episode, plan = plan_of(patient)
    today = clock.today_in(patient.program.timezone)
    problems: list[Problem] = []
    goals: list[Goal] = []
    if plan is not None:
        problems = list(Problem.objects.filter(plan=plan, entered_in_error=False, status="active"))
        goals = list(
            Goal.objects.filter(plan=plan, entered_in_error=False, status="active").order_by(
                "review_date"
            )[:5]
        )
    labels = dict(PlanDomain.choices)
    by_domain: dict[str, list[Problem]] = {}
    for problem in problems:
        by_domain.setdefault(str(labels.get(problem.domain, problem.domain)), []).append(problem)
    return {
        "patient": patient,
        "plan": plan,
        "episode": episode,
        "plan_problems_by_domain": sorted(by_domain.items()),
        "plan_goals": goals,
        "plan_review_overdue": bool(plan and plan.review_due and plan.review_due < today),
        "plan_today": today,
        "can_view_plan": access.has_perm(user, "care_plan.view"),
    }


# --- the task list ---------------------------------------------------------------------------

TASK_TABS = {
    "mine": "My tasks",
    "discipline": "My discipline's unassigned tasks",
    "all": "All open tasks",
}


def task_tabs_for(user: Any) -> list[tuple[str, str]]:
    tabs = ["mine", "discipline"]
    if user.role in access.PROGRAM_WIDE:
        tabs.append("all")
    return [(key, TASK_TABS[key]) for key in tabs]


def _visible_tasks(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(program_id=user.program_id).filter(
        access.patient_access_q(user, prefix="patient__")
    )


def task_list_for(user: Any, tab: str) -> QuerySet[Task]:
    """Open tasks of one tab, overdue first (oldest due date first, so overdue ones lead)."""
    tasks = _visible_tasks(user).filter(status=Task.Status.OPEN)
    if tab == "mine":
        tasks = tasks.filter(assigned_to_id=user.pk)
    elif tab == "discipline":
        tasks = tasks.filter(assigned_to__isnull=True, discipline=user.discipline)
    elif tab == "all" and user.role in access.PROGRAM_WIDE:
        pass
    else:
        raise PermissionDenied("Your role does not allow this list.")
    return tasks.select_related(
        "patient", "program", "assigned_to", "episode", "intervention"
    ).order_by("due", "created_at", "id")


def task_list_page_for(user: Any, tab: str, page: Any) -> Page[Task]:
    """One page of a tab, its read audited in one row naming every patient shown (as the
    caseload does), so the page costs the same queries whatever its length."""
    result = Paginator(task_list_for(user, tab), PAGE_SIZE).get_page(page)
    rows = list(result.object_list)
    result.object_list = rows
    if rows:
        audit_record(
            actor=user,
            action=Action.READ,
            event="task.list.read",
            detail={"tab": tab, "patients": sorted({str(t.patient_id) for t in rows})},
        )
    return result


def task_get_for(user: Any, task_id: Any) -> Task:
    """A task the user may act on (its patient reachable); Http404 otherwise."""
    task = (
        _visible_tasks(user)
        .select_related("patient", "program", "assigned_to")
        .filter(pk=_as_uuid(task_id))
        .first()
    )
    if task is None:
        raise Http404("No such task")
    return task


def task_assignees_for(user: Any) -> list[Any]:
    """The people of the user's program a task can be given to (clinical roles, active)."""
    from pallio.accounts.models import User

    return list(
        User.objects.filter(
            program_id=user.program_id, is_active=True, role__in=access.CLINICAL_ROLES
        ).order_by("last_name", "first_name")
    )

"""Care-plan and task-list pages: parse, call a service or selector, render.

A refused change shows the page again with the form and its errors (400), or with the
conflict explained and the other person's version beside the user's own text (409).
Nothing is written when a change is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.careplans import forms, selectors, services
from pallio.careplans.models import Task
from pallio.core import clock, params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.patients.selectors import patient_get_for

ITEM_TEMPLATES = {
    "problem": "careplans/problem_form.html",
    "goal": "careplans/goal_form.html",
    "intervention": "careplans/intervention_form.html",
}


def _plan_url(patient_id: Any) -> str:
    return reverse("careplans:plan", kwargs={"patient_id": patient_id})


def _page_forms(context: dict[str, Any], user: Any) -> dict[str, Any]:
    plan, today = context["plan"], context["today"]
    problems, goals = context["problems"], context["goals"]
    return {
        "problem_form": forms.ProblemForm(prefix="problem"),
        "goal_form": forms.GoalForm(
            prefix="goal",
            problems=problems,
            conversations=context["conversations"],
            initial={"review_date": today + _days(plan, context)},
        ),
        "intervention_form": forms.InterventionForm(
            prefix="intervention",
            problems=problems,
            goals=goals,
            initial={"discipline": user.discipline},
        ),
        "task_form": forms.TaskForm(
            prefix="task",
            people=selectors.task_assignees_for(user),
            interventions=context["interventions"],
            initial={"due": today},
        ),
        "review_form": forms.GoalReviewForm(prefix="review"),
        "plan_review_form": forms.VersionForm(initial={"version": plan.version if plan else 0}),
        "error_form": forms.EnteredInErrorForm(),
    }


def _days(plan: Any, context: dict[str, Any]) -> Any:
    from datetime import timedelta

    patient = context["patient"]
    return timedelta(days=patient.program.setting("care_plan_review_days"))


def _render_page(
    request: HttpRequest, patient_id: Any, *, status: int = 200, audit: bool = True, **bound: Any
) -> HttpResponse:
    user: Any = request.user
    context = selectors.care_plan_page_for(user, patient_id, audit=audit)
    context.update(_page_forms(context, user))
    context.update(bound)
    context["open_panel"] = next(iter(bound), "")
    context["can_edit"] = privileges.can(user, "care_plan.edit")
    context["can_review"] = privileges.can(user, "care_plan.review")
    context["can_void"] = privileges.can(user, "care_plan.void")
    return render(request, "careplans/plan.html", context, status=status)


def _act(
    request: HttpRequest,
    patient_id: Any,
    form: Any,
    form_name: str,
    act: Callable[[dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    status = 400
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(_plan_url(patient_id))
    return _render_page(request, patient_id, status=status, audit=False, **{form_name: form})


def _plan_for_write(request: HttpRequest, patient_id: Any) -> tuple[Any, Any]:
    """The patient and the plan of their active episode, opened on first use."""
    patient = patient_get_for(request.user, patient_id, audit=False)
    return patient, services.care_plan_open_for(actor=request.user, patient=patient)


@staff_view("care_plan.view")
@require_GET
def plan(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _render_page(request, patient_id)


@staff_view("care_plan.view")
@require_POST
def problem_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    selectors.plan_get_for(request.user, patient_id)
    form = forms.ProblemForm(request.POST, prefix="problem")

    def act(data: dict[str, Any]) -> None:
        privileges.privilege_check(request.user, "care_plan.edit")
        _, plan = _plan_for_write(request, patient_id)
        services.problem_add(actor=request.user, plan=plan, **form.to_input())

    return _act(request, patient_id, form, "problem_form", act, "Problem added to the plan.")


@staff_view("care_plan.view")
@require_POST
def goal_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    context = selectors.care_plan_page_for(request.user, patient_id, audit=False)
    form = forms.GoalForm(
        request.POST,
        prefix="goal",
        problems=context["problems"],
        conversations=context["conversations"],
    )

    def act(data: dict[str, Any]) -> None:
        privileges.privilege_check(request.user, "care_plan.edit")
        _, plan = _plan_for_write(request, patient_id)
        services.goal_add(actor=request.user, plan=plan, **form.to_input())

    return _act(request, patient_id, form, "goal_form", act, "Goal added to the plan.")


@staff_view("care_plan.view")
@require_POST
def intervention_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    context = selectors.care_plan_page_for(request.user, patient_id, audit=False)
    form = forms.InterventionForm(
        request.POST, prefix="intervention", problems=context["problems"], goals=context["goals"]
    )

    def act(data: dict[str, Any]) -> None:
        privileges.privilege_check(request.user, "care_plan.edit")
        _, plan = _plan_for_write(request, patient_id)
        services.intervention_add(actor=request.user, plan=plan, **form.to_input())

    return _act(
        request, patient_id, form, "intervention_form", act, "Intervention added to the plan."
    )


@staff_view("care_plan.view")
@require_POST
def task_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    context = selectors.care_plan_page_for(user, patient_id, audit=False)
    form = forms.TaskForm(
        request.POST,
        prefix="task",
        people=selectors.task_assignees_for(user),
        interventions=context["interventions"],
    )

    def act(data: dict[str, Any]) -> None:
        episode = context["episode"]
        if episode is None or episode.status != "active":
            raise ValidationError("This patient is not enrolled: there is no open care plan.")
        services.task_create(
            actor=user,
            patient=context["patient"],
            episode=episode,
            kind="care_plan",
            title=data["title"],
            due=data["due"],
            discipline=data.get("discipline") or "",
            assigned_to=form.people.get(data.get("assigned_to") or ""),
            detail=data.get("detail", ""),
            intervention=form.interventions.get(data.get("intervention") or ""),
        )

    return _act(request, patient_id, form, "task_form", act, "Task added.")


@staff_view("care_plan.view")
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, patient_id: str, problem_id: str) -> HttpResponse:
    return _item_edit(request, patient_id, "problem", problem_id)


@staff_view("care_plan.view")
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, patient_id: str, goal_id: str) -> HttpResponse:
    return _item_edit(request, patient_id, "goal", goal_id)


@staff_view("care_plan.view")
@require_http_methods(["GET", "POST"])
def intervention_edit(request: HttpRequest, patient_id: str, intervention_id: str) -> HttpResponse:
    return _item_edit(request, patient_id, "intervention", intervention_id)


def _item_edit(request: HttpRequest, patient_id: str, kind: str, item_id: str) -> HttpResponse:
    """Edit one problem, goal or intervention. The form carries the version it was read at;
    when someone else saved first, the user's text is shown again beside theirs (409)."""
    user: Any = request.user
    patient, item = selectors.plan_item_get_for(
        user, kind, item_id, patient_id=patient_id, audit=request.method == "GET"
    )
    context = selectors.care_plan_page_for(user, patient.pk, audit=False)
    status = 200
    conflict = None
    form = _item_form(kind, context, request.POST if request.method == "POST" else None, item)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _item_update(kind, user, item, form)
            except ConflictError as exc:
                status = 409
                conflict = str(exc)
                item.refresh_from_db()
                # The user's own text stays in the form; the version becomes the one now on
                # record, so a second save is a deliberate choice made with theirs in view.
                data = request.POST.copy()
                data["version"] = str(item.version)
                form = _item_form(kind, context, data, item)
                form.is_valid()
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{kind.capitalize()} saved.")
                return redirect(_plan_url(patient.pk))
    context.update(
        {
            "item": item,
            "kind": kind,
            "form": form,
            "conflict": conflict,
            "can_edit": privileges.can(user, "care_plan.edit"),
        }
    )
    return render(request, ITEM_TEMPLATES[kind], context, status=status)


def _item_form(kind: str, context: dict[str, Any], data: Any, item: Any) -> Any:
    if kind == "problem":
        return forms.ProblemForm(data, editing=True, initial=forms.ProblemForm.initial_from(item))
    if kind == "goal":
        return forms.GoalForm(
            data,
            problems=context["problems"],
            conversations=context["conversations"],
            initial=forms.GoalForm.initial_from(item),
        )
    return forms.InterventionForm(
        data,
        problems=context["problems"],
        goals=[g for g in context["goals"] if g.pk != getattr(item, "goal_id", None)]
        + [g for g in context["goals"] if g.pk == getattr(item, "goal_id", None)],
        editing=True,
        initial=forms.InterventionForm.initial_from(item),
    )


def _item_update(kind: str, user: Any, item: Any, form: Any) -> None:
    version = form.cleaned_data.get("version") or 0
    if kind == "problem":
        services.problem_update(
            actor=user, problem=item, expected_version=version, **form.to_input()
        )
    elif kind == "goal":
        services.goal_update(actor=user, goal=item, expected_version=version, **form.to_input())
    else:
        services.intervention_update(
            actor=user, intervention=item, expected_version=version, **form.to_input()
        )


@staff_view("care_plan.view")
@require_POST
def goal_review(request: HttpRequest, patient_id: str, goal_id: str) -> HttpResponse:
    _, goal = selectors.plan_item_get_for(request.user, "goal", goal_id, patient_id=patient_id)
    form = forms.GoalReviewForm(request.POST, prefix="review")

    def act(data: dict[str, Any]) -> None:
        services.goal_review_record(
            actor=request.user,
            goal=goal,
            outcome=data["outcome"],
            comment=data.get("comment", ""),
            next_review_date=data.get("next_review_date"),
            expected_version=data.get("version"),
        )

    response = _act(request, patient_id, form, "review_form", act, "Progress recorded.")
    if response.status_code != 302:
        response = _render_page(
            request,
            patient_id,
            status=response.status_code,
            audit=False,
            review_form=form,
            review_goal_id=str(goal.pk),
        )
    return response


@staff_view("care_plan.view")
@require_POST
def entered_in_error(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Mark a problem, goal or intervention wrong; it must be this patient's (404)."""
    form = forms.EnteredInErrorForm(request.POST)
    if not form.is_valid():
        selectors.plan_get_for(request.user, patient_id)
        return _render_page(request, patient_id, status=400, audit=False, error_form=form)
    _, item = selectors.plan_item_get_for(
        request.user,
        form.cleaned_data["kind"],
        form.cleaned_data["record_id"],
        patient_id=patient_id,
    )

    def act(data: dict[str, Any]) -> None:
        services.plan_item_mark_entered_in_error(
            actor=request.user,
            item=item,
            reason=data["reason"],
            expected_version=data.get("version"),
        )

    return _act(request, patient_id, form, "error_form", act, "Marked as entered in error.")


@staff_view("care_plan.view")
@require_POST
def plan_review(request: HttpRequest, patient_id: str) -> HttpResponse:
    _, plan, _ = selectors.plan_get_for(request.user, patient_id)
    form = forms.VersionForm(request.POST)

    def act(data: dict[str, Any]) -> None:
        if plan is None:
            raise ValidationError("There is no care plan to review yet.")
        services.care_plan_review_record(
            actor=request.user, plan=plan, expected_version=data.get("version")
        )

    return _act(request, patient_id, form, "plan_review_form", act, "Plan review recorded.")


class HistoryQuery(params.QueryForm):
    page = params.PageParam()


@staff_view("care_plan.view")
@require_GET
def history(request: HttpRequest, patient_id: str) -> HttpResponse:
    query = params.parse(HistoryQuery, request.GET)
    context = selectors.care_plan_history_for(request.user, patient_id, query["page"])
    return render(request, "careplans/history.html", context)


# --- the task list ---------------------------------------------------------------------------


class TaskQuery(params.QueryForm):
    tab = params.ChoiceParam(
        label="List", initial="mine", choices=list(selectors.TASK_TABS.items())
    )
    page = params.PageParam()


@staff_view("task.worklist")
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    return _render_tasks(request, status=200)


def _render_tasks(
    request: HttpRequest, *, status: int, failed: Any = None, failed_form: Any = None
) -> HttpResponse:
    user: Any = request.user
    query = params.parse(TaskQuery, request.GET)
    tab = query["tab"]
    page = selectors.task_list_page_for(user, tab, query["page"])
    people = selectors.task_assignees_for(user)
    # The "give to" list is the same on every row: rendered once, each row marks its owner.
    # (Rendered per row by the form, a program with hundreds of clinicians made the page
    # take seconds and weigh most of a megabyte.)
    options = format_html_join(
        "",
        '<option value="{}">{}</option>',
        [(str(u.uuid), f"{u.display_name} — {u.get_discipline_display()}") for u in people],
    )
    options = format_html('<option value="">Back to the discipline\'s list</option>{}', options)
    rows = []
    for task in page.object_list:
        initial = {"version": task.version}
        forms_of: dict[str, Any] = {
            "complete": forms.TaskCompleteForm(initial=initial, prefix=f"t{task.pk.hex[:8]}c"),
            "cancel": forms.TaskCancelForm(initial=initial, prefix=f"t{task.pk.hex[:8]}x"),
            "reassign": forms.TaskReassignForm(
                initial={
                    **initial,
                    "assigned_to": str(task.assigned_to.uuid) if task.assigned_to else "",
                },
                people=people,
                prefix=f"t{task.pk.hex[:8]}r",
            ),
        }
        if failed is not None and failed[0] == task.pk:
            forms_of[failed[1]] = failed_form
        owner = f'value="{task.assigned_to.uuid}"' if task.assigned_to else 'value=""'
        forms_of["give_to"] = mark_safe(options.replace(owner, f"{owner} selected", 1))  # noqa: S308  (escaped above)
        rows.append((task, forms_of))
    return render(
        request,
        "careplans/tasks.html",
        {
            "tab": tab,
            "tabs": selectors.task_tabs_for(user),
            "page": page,
            "rows": rows,
            "query": f"tab={tab}",
            "today": clock.today_in(user.program.timezone),
            "failed": failed,
        },
        status=status,
    )


TASK_ACTIONS = {
    "complete": (forms.TaskCompleteForm, "c", "Task completed."),
    "cancel": (forms.TaskCancelForm, "x", "Task cancelled."),
    "reassign": (forms.TaskReassignForm, "r", "Task reassigned."),
}


@staff_view("task.worklist")
@require_POST
def task_complete(request: HttpRequest, task_id: str) -> HttpResponse:
    return _task_action(request, task_id, "complete")


@staff_view("task.worklist")
@require_POST
def task_cancel(request: HttpRequest, task_id: str) -> HttpResponse:
    return _task_action(request, task_id, "cancel")


@staff_view("task.worklist")
@require_POST
def task_reassign(request: HttpRequest, task_id: str) -> HttpResponse:
    return _task_action(request, task_id, "reassign")


def _task_action(request: HttpRequest, task_id: str, action: str) -> HttpResponse:
    user: Any = request.user
    task = selectors.task_get_for(user, task_id)
    form_class, letter, success = TASK_ACTIONS[action]
    extra: dict[str, Any] = {}
    if action == "reassign":
        extra["people"] = selectors.task_assignees_for(user)
    form = form_class(request.POST, prefix=f"t{task.pk.hex[:8]}{letter}", **extra)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        version = data.get("version")
        try:
            if action == "complete":
                services.task_complete(
                    actor=user, task=task, outcome=data["outcome"], expected_version=version
                )
            elif action == "cancel":
                services.task_cancel(
                    actor=user, task=task, reason=data["reason"], expected_version=version
                )
            else:
                services.task_reassign(
                    actor=user,
                    task=task,
                    assigned_to=getattr(form, "people", {}).get(data.get("assigned_to") or ""),
                    expected_version=version,
                )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{success} ({task.title})")
            return redirect(f"{reverse('careplans:tasks')}?{request.GET.urlencode()}")
    if task.status != Task.Status.OPEN:
        messages.error(
            request, " ".join(str(e) for e in form.non_field_errors()) or "This task is closed."
        )
        return redirect(f"{reverse('careplans:tasks')}?{request.GET.urlencode()}")
    return _render_tasks(request, status=status, failed=(task.pk, action), failed_form=form)

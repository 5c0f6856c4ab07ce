"""The home-visit day plan page of a clinician's day: the planned order, reordering by hand,
locking a visit's time, the patient's available time, and applying the plan. Parse, call the
service (visits/services/day_plan.py), render."""

from __future__ import annotations

from datetime import date, time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.core import clock
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.visits import schedule_selectors as selectors
from pallio.visits.services import day_plan as service


def _day(request: HttpRequest, user: Any, source: Any) -> date:
    try:
        return date.fromisoformat(str(source.get("date", "")))
    except ValueError:
        return clock.today_in(user.program.timezone)


def _plan_url(clinician: Any, day: date, order: list[str] | None = None) -> str:
    url = reverse("visits:day_plan", kwargs={"clinician_id": clinician.uuid})
    query = {"date": day.isoformat()}
    if order:
        query["order"] = ",".join(order)
    return f"{url}?{urlencode(query)}"


def _swapped(order: list[str], index: int, other: int) -> list[str]:
    moved = list(order)
    moved[index], moved[other] = moved[other], moved[index]
    return moved


def _positions(request: HttpRequest, order: list[str]) -> list[str] | None:
    """The order typed in the numbered boxes (?position-<id>=n), or None when none was."""
    typed = []
    for index, visit_id in enumerate(order):
        raw = request.GET.get(f"position-{visit_id}", "")
        try:
            typed.append((float(raw), index, visit_id))
        except ValueError:
            return None
    return [visit_id for _, _, visit_id in sorted(typed)] if typed else None


def _messages(exc: ValidationError | ConflictError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@staff_view("visit.view")
@require_GET
def day_plan(request: HttpRequest, clinician_id: str) -> HttpResponse:
    user: Any = request.user
    clinician = selectors.clinician_get_for(user, clinician_id)
    day = _day(request, user, request.GET)
    order = service.parse_order(request.GET.get("order", "")) or None
    if order and "arrange" in request.GET:
        typed = _positions(request, order)
        if typed is None:
            messages.error(request, "Give each visit a number to put the visits in order.")
        else:
            return redirect(_plan_url(clinician, day, typed))
    plan = service.day_plan_build(actor=user, clinician=clinician, day=day, order=order)
    current = plan.order
    rows = [
        {
            "row": row,
            "number": index + 1,
            "up": _plan_url(clinician, day, _swapped(current, index, index - 1))
            if index > 0
            else "",
            "down": _plan_url(clinician, day, _swapped(current, index, index + 1))
            if index + 1 < len(current)
            else "",
            "minutes": service.visit_minutes(row.visit),
        }
        for index, row in enumerate(plan.rows)
    ]
    context = {
        "plan": plan,
        "rows": rows,
        "clinician": clinician,
        "day": day,
        "order_text": ",".join(current),
        "total_text": service.minutes_text(plan.total_minutes),
        "back_text": service.minutes_text(plan.back_minutes),
        "calendar_url": reverse(
            "visits:clinician_schedule", kwargs={"clinician_id": clinician.uuid}
        )
        + f"?view=day&date={day.isoformat()}",
        "replan_url": _plan_url(clinician, day),
        "is_own": clinician.pk == user.pk,
    }
    return render(request, "visits/day_plan.html", context)


@staff_view("visit.view")
@require_POST
def day_plan_apply(request: HttpRequest, clinician_id: str) -> HttpResponse:
    user: Any = request.user
    clinician = selectors.clinician_get_for(user, clinician_id)
    day = _day(request, user, request.POST)
    order = service.parse_order(request.POST.get("order", ""))
    try:
        plan = service.day_plan_apply(actor=user, clinician=clinician, day=day, order=order)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, "Nothing was moved. " + _messages(exc))
        return redirect(_plan_url(clinician, day, order))
    messages.success(
        request,
        "The plan is applied: the visits now begin at the planned times."
        if plan.rows
        else "There were no visits to move.",
    )
    return redirect(_plan_url(clinician, day, order))


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@staff_view("visit.view")
@require_POST
def visit_lock(request: HttpRequest, scheduled_visit_id: str) -> HttpResponse:
    user: Any = request.user
    visit = selectors.scheduled_visit_get_for(
        user, scheduled_visit_id, event="scheduled_visit.form"
    )
    zone_day = visit.starts_at.astimezone(clinician_zone(visit)).date()
    order = service.parse_order(request.POST.get("order", ""))
    locked = request.POST.get("locked") == "yes"
    try:
        service.visit_time_lock(
            actor=user, visit=visit, locked=locked, expected_version=_version(request)
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, _messages(exc))
    else:
        messages.success(
            request,
            "Time locked: a new plan keeps this visit at this time."
            if locked
            else "Time unlocked: a new plan may move this visit.",
        )
    return redirect(_plan_url(visit.clinician, zone_day, order))


def clinician_zone(visit: Any) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(visit.program.timezone)


def _clock_time(raw: str) -> time | None:
    raw = raw.strip()
    return time.fromisoformat(raw) if raw else None


@staff_view("visit.view")
@require_POST
def visit_availability(request: HttpRequest, scheduled_visit_id: str) -> HttpResponse:
    user: Any = request.user
    visit = selectors.scheduled_visit_get_for(
        user, scheduled_visit_id, event="scheduled_visit.form"
    )
    zone_day = visit.starts_at.astimezone(clinician_zone(visit)).date()
    order = service.parse_order(request.POST.get("order", ""))
    try:
        available_from = _clock_time(request.POST.get("available_from", ""))
        available_until = _clock_time(request.POST.get("available_until", ""))
    except ValueError:
        messages.error(request, "Enter the patient's available times as times such as 09:30.")
        return redirect(_plan_url(visit.clinician, zone_day, order))
    try:
        service.visit_availability_set(
            actor=user,
            visit=visit,
            available_from=available_from,
            available_until=available_until,
            expected_version=_version(request),
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, _messages(exc))
    else:
        messages.success(request, "The patient's available time is saved.")
    return redirect(_plan_url(visit.clinician, zone_day, order))

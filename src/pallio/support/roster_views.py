"""On-call roster pages: parse, call a service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import clock, params
from pallio.core.access import staff_view
from pallio.core.validation import apply_service_errors
from pallio.support import roster
from pallio.support import roster_forms as forms
from pallio.support.models import RosterPattern, Shift
from pallio.support.roster_selectors import roster_page_for, week_start_of


def _user(request: HttpRequest) -> Any:
    return request.user


def _program(request: HttpRequest) -> Any:
    return _user(request).program


def _run(form: Any, act: Callable[[dict[str, Any]], Any]) -> bool:
    """Run the service with the form's values; its refusals land on the form."""
    if not form.is_valid():
        return False
    try:
        act(form.cleaned_data)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return False
    return True


@staff_view("roster.view")
@require_GET
def roster_page(request: HttpRequest) -> HttpResponse:
    query = params.parse(forms.RosterWeekQuery, request.GET)
    program = _program(request)
    today = clock.today_in(program.timezone)
    context = roster_page_for(_user(request), week_start_of(query["week"] or today))
    context["today"] = today
    return render(request, "support/roster_week.html", context)


def _pattern_render(request: HttpRequest, *, status: int = 200, **forms_given: Any) -> HttpResponse:
    program = _program(request)
    today = clock.today_in(program.timezone)
    slots = (
        RosterPattern.objects.filter(program=program)
        .select_related("user", "holiday_user")
        .order_by("weekday", "start_time", "line")
    )
    context = {
        "slots": slots,
        "weekdays": dict(forms.WEEKDAYS),
        "slot_form": forms.PatternSlotForm(program=program),
        "build_form": forms.BuildForm(initial={"first": today, "last": today + timedelta(days=27)}),
    }
    context.update(forms_given)
    return render(request, "support/roster_pattern.html", context, status=status)


@staff_view("roster.manage")
@require_http_methods(["GET", "POST"])
def pattern_page(request: HttpRequest) -> HttpResponse:
    """The weekly pattern, with a form to add a slot (POST here adds it)."""
    if request.method == "GET":
        return _pattern_render(request)
    user = _user(request)
    form = forms.PatternSlotForm(request.POST, program=user.program)
    if _run(form, lambda data: roster.pattern_slot_add(actor=user, **data)):
        messages.success(request, "Slot added to the weekly pattern.")
        return redirect("support:roster_pattern")
    return _pattern_render(request, status=400, slot_form=form)


@staff_view("roster.manage")
@require_http_methods(["GET", "POST"])
def pattern_slot_edit(request: HttpRequest, slot_id: Any) -> HttpResponse:
    user = _user(request)
    slot = get_object_or_404(RosterPattern, pk=slot_id, program_id=user.program_id)
    if request.method == "POST":
        form = forms.PatternSlotForm(request.POST, program=user.program)
        if _run(form, lambda data: roster.pattern_slot_update(actor=user, slot=slot, **data)):
            messages.success(request, "Slot changed. Shifts built from now on follow it.")
            return redirect("support:roster_pattern")
        status = 400
    else:
        form = forms.PatternSlotForm(
            program=user.program,
            initial={
                "line": slot.line,
                "weekday": slot.weekday,
                "start_time": slot.start_time,
                "hours": slot.hours,
                "user": slot.user_id,
                "holiday_user": slot.holiday_user_id,
            },
        )
        status = 200
    return render(request, "support/roster_slot.html", {"slot": slot, "form": form}, status=status)


@staff_view("roster.manage")
@require_POST
def pattern_slot_remove(request: HttpRequest, slot_id: Any) -> HttpResponse:
    user = _user(request)
    slot = get_object_or_404(RosterPattern, pk=slot_id, program_id=user.program_id)
    roster.pattern_slot_remove(actor=user, slot=slot)
    messages.success(request, "Slot taken out of the weekly pattern. Built shifts stay.")
    return redirect("support:roster_pattern")


@staff_view("roster.manage")
@require_POST
def roster_build(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = forms.BuildForm(request.POST)
    outcome: dict[str, Any] = {}

    def build(data: dict[str, Any]) -> None:
        outcome["result"] = roster.shifts_build(
            actor=user, program=user.program, first=data["first"], last=data["last"]
        )

    if _run(form, build):
        result = outcome["result"]
        messages.success(
            request,
            f"{result.created} shift(s) built from the pattern; "
            f"{result.already_there} were already on the roster.",
        )
        return redirect(f"{reverse('support:roster')}?week={form.cleaned_data['first']}")
    return _pattern_render(request, status=400, build_form=form)


def _shift_form_page(
    request: HttpRequest,
    template: str,
    form: Any,
    *,
    shift: Shift | None = None,
    status: int = 200,
) -> HttpResponse:
    tz = ZoneInfo(_program(request).timezone)
    return render(request, template, {"form": form, "shift": shift, "tz": tz}, status=status)


def _back_to_week(shift: Shift) -> HttpResponse:
    tz = ZoneInfo(shift.program.timezone)
    week = week_start_of(shift.starts_at.astimezone(tz).date())
    return redirect(f"{reverse('support:roster')}?week={week}")


@staff_view("roster.manage")
@require_http_methods(["GET", "POST"])
def shift_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "GET":
        form = forms.ShiftAddForm(program=user.program, initial={"line": "first"})
        return _shift_form_page(request, "support/roster_shift_new.html", form)
    form = forms.ShiftAddForm(request.POST, program=user.program)
    created: dict[str, Shift] = {}

    def add(data: dict[str, Any]) -> None:
        created["shift"] = roster.shift_add(actor=user, **data)

    if _run(form, add):
        messages.success(request, "Shift added to the roster.")
        return _back_to_week(created["shift"])
    return _shift_form_page(request, "support/roster_shift_new.html", form, status=400)


def _shift_of(request: HttpRequest, shift_id: Any) -> Shift:
    return get_object_or_404(
        Shift.objects.select_related("user", "swapped_from", "program"),
        pk=shift_id,
        program_id=_user(request).program_id,
    )


@staff_view("roster.manage")
@require_http_methods(["GET", "POST"])
def shift_swap(request: HttpRequest, shift_id: Any) -> HttpResponse:
    user = _user(request)
    shift = _shift_of(request, shift_id)
    if request.method == "GET":
        form = forms.SwapForm(program=user.program)
        return _shift_form_page(request, "support/roster_shift_swap.html", form, shift=shift)
    form = forms.SwapForm(request.POST, program=user.program)
    if _run(form, lambda data: roster.shift_swap(actor=user, shift=shift, **data)):
        messages.success(request, "Shift given to someone else; the roster shows the swap.")
        return _back_to_week(shift)
    return _shift_form_page(
        request, "support/roster_shift_swap.html", form, shift=shift, status=400
    )


@staff_view("roster.manage")
@require_http_methods(["GET", "POST"])
def shift_cancel(request: HttpRequest, shift_id: Any) -> HttpResponse:
    user = _user(request)
    shift = _shift_of(request, shift_id)
    if request.method == "GET":
        return _shift_form_page(
            request, "support/roster_shift_cancel.html", forms.CancelForm(), shift=shift
        )
    form = forms.CancelForm(request.POST)
    if _run(form, lambda data: roster.shift_cancel(actor=user, shift=shift, **data)):
        messages.success(request, "Shift cancelled. Check the roster for the gap it leaves.")
        return _back_to_week(shift)
    return _shift_form_page(
        request, "support/roster_shift_cancel.html", form, shift=shift, status=400
    )

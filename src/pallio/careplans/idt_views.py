"""The team meeting pages: parse, call a service or selector, render.

A refused change shows the page again with the reason (400), a change made from a stale page
explains the conflict (409), and nothing is written in either case. A meeting whose minutes
are signed refuses every change, however the request was made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.careplans import idt, idt_forms
from pallio.careplans.agenda import reason_label
from pallio.careplans.idt_selectors import (
    MeetingView,
    agenda_page_of,
    item_get_for,
    meeting_get_for,
    meeting_view_for,
    not_discussed_page,
    team_get_for,
    team_meetings_page,
    teams_for,
)
from pallio.careplans.models import IdtAgendaItem, IdtMeeting
from pallio.core import clock, params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors


def _page_number(request: HttpRequest) -> int:
    return params.page_of(request.GET)


def _zone(meeting: IdtMeeting) -> ZoneInfo:
    return ZoneInfo(meeting.program.timezone)


# --- teams -----------------------------------------------------------------------------------


@staff_view("idt.view")
@require_GET
def teams(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rows = list(teams_for(user).prefetch_related("members"))
    return render(
        request,
        "careplans/idt_teams.html",
        {"teams": rows, "weekdays": WEEKDAYS, "can_run": privileges.can(user, "idt.run")},
    )


@staff_view("idt.view")
@require_http_methods(["GET", "POST"])
def team_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    privileges.privilege_check(user, "idt.run")
    form = idt_forms.TeamForm(request.POST or None, program_id=user.program_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = idt.idt_team_create(
                actor=user,
                program=user.program,
                name=data["name"],
                members=list(data["members"]),
                weekday=data["weekday"],
                at=data["at"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("idt:team", team_id=team.pk)
    status = 400 if form.is_bound else 200
    return render(request, "careplans/idt_team_form.html", {"form": form}, status=status)


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _render_team(
    request: HttpRequest, team: Any, form: Any = None, *, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    page = team_meetings_page(user, team, _page_number(request))
    if form is None:
        upcoming = idt.next_meeting_time(team).astimezone(ZoneInfo(team.program.timezone))
        form = idt_forms.MeetingCreateForm(initial={"scheduled_for": upcoming})
    return render(
        request,
        "careplans/idt_team.html",
        {
            "team": team,
            "page": page,
            "form": form,
            "weekday": WEEKDAYS[team.weekday],
            "can_run": privileges.can(user, "idt.run"),
        },
        status=status,
    )


@staff_view("idt.view")
@require_GET
def team_detail(request: HttpRequest, team_id: str) -> HttpResponse:
    return _render_team(request, team_get_for(request.user, team_id))


@staff_view("idt.view")
@require_POST
def meeting_create(request: HttpRequest, team_id: str) -> HttpResponse:
    user: Any = request.user
    team = team_get_for(user, team_id)
    form = idt_forms.MeetingCreateForm(request.POST)
    if form.is_valid():
        when = form.cleaned_data["scheduled_for"]
        when = when.replace(tzinfo=None).replace(tzinfo=ZoneInfo(team.program.timezone))
        try:
            meeting = idt.idt_meeting_create(actor=user, team=team, scheduled_for=when)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Meeting planned and its agenda built from the record.")
            return redirect("idt:meeting", meeting_id=meeting.pk)
    return _render_team(request, team, form, status=400)


# --- the meeting -----------------------------------------------------------------------------


def _item_forms(view: MeetingView, program_id: Any, bound: dict[str, Any]) -> list[Any]:
    staff = idt_forms.staff_of(program_id)
    # The "task for" list is the same for every item: rendered once, not once per item (with
    # hundreds of staff, rendering it per item made a page of the agenda take seconds).
    owner_choices = idt_forms.owner_choices_of(staff)
    owner_options = format_html_join("", '<option value="{}">{}</option>', owner_choices)
    rows = []
    for item in view.items:
        prefix = _prefix(item)
        discussion = bound.get(f"discussion-{item.pk}") or idt_forms.DiscussionForm(
            prefix=prefix,
            initial={
                "version": item.version,
                "discussion": item.discussion,
                "discussed": item.discussed_at is not None,
            },
        )
        decision = bound.get(f"decision-{item.pk}") or idt_forms.DecisionForm(
            prefix=f"{prefix}-d", staff=staff, owner_choices=owner_choices
        )
        reasons = [
            {"label": reason_label(r.get("code", "")), "detail": r.get("detail", "")}
            for r in item.reasons
        ]
        rows.append(
            {
                "item": item,
                "reasons": reasons,
                "discussion_form": discussion,
                "decision_form": decision,
                "open": f"decision-{item.pk}" in bound,
                "owner_options": owner_options,
            }
        )
    return rows


def _prefix(item: IdtAgendaItem) -> str:
    return f"i{item.pk.hex[:12]}"


def _render_meeting(
    request: HttpRequest,
    meeting: IdtMeeting,
    *,
    status: int = 200,
    refusal: str = "",
    bound: dict[str, Any] | None = None,
    attendance_form: Any = None,
    page: int = 1,
) -> HttpResponse:
    user: Any = request.user
    view = meeting_view_for(user, meeting, event="idt.meeting.read", page=page)
    attending = [row.user_id for row in view.attendance]
    bound = bound or {}
    attendance_form = attendance_form or idt_forms.AttendanceForm(
        team=meeting.team,
        initial={
            "version": meeting.version,
            "members": attending,
            "others": attending,
        },
    )
    context = {
        "meeting": meeting,
        "view": view,
        "rows": _item_forms(view, meeting.program_id, bound),
        "attendance_form": attendance_form,
        "version_form": idt_forms.VersionForm(initial={"version": meeting.version}, auto_id=False),
        "can_run": privileges.can(user, "idt.run"),
        "can_sign": privileges.can(user, "idt.sign"),
        "refusal": refusal,
        "zone": meeting.program.timezone,
    }
    return render(request, "careplans/idt_meeting.html", context, status=status)


@staff_view("idt.view")
@require_GET
def meeting_detail(request: HttpRequest, meeting_id: str) -> HttpResponse:
    return _render_meeting(
        request, meeting_get_for(request.user, meeting_id), page=_page_number(request)
    )


def _item_url(user: Any, meeting: IdtMeeting, item: IdtAgendaItem) -> str:
    """The meeting page showing `item`, scrolled to it."""
    page = agenda_page_of(user, meeting, item)
    query = f"?page={page}" if page > 1 else ""
    return reverse("idt:meeting", kwargs={"meeting_id": meeting.pk}) + f"{query}#item-{item.pk}"


def _meeting_action(
    request: HttpRequest,
    meeting_id: str,
    act: Callable[[IdtMeeting, int], Any],
    success: str,
) -> HttpResponse:
    """A change to the meeting carrying only the page's version (rebuild, start)."""
    meeting = meeting_get_for(request.user, meeting_id)
    form = idt_forms.VersionForm(request.POST)
    if not form.is_valid():
        return _render_meeting(
            request, meeting, status=400, refusal="Reload the page and try again."
        )
    try:
        act(meeting, form.cleaned_data["version"])
    except ConflictError as exc:
        return _render_meeting(request, _fresh(request, meeting), status=409, refusal=str(exc))
    except ValidationError as exc:
        return _render_meeting(
            request, _fresh(request, meeting), status=400, refusal=" ".join(exc.messages)
        )
    messages.success(request, success)
    return redirect("idt:meeting", meeting_id=meeting.pk)


def _refusal_of(error: ValidationError, form: Any) -> str:
    """A refusal about a field goes on the form; one about the meeting as a whole (signed,
    not started) is shown at the top of the page, where it is seen even once the forms
    are gone."""
    if hasattr(error, "error_dict"):
        apply_service_errors(form, error)
        return ""
    return " ".join(error.messages)


def _fresh(request: HttpRequest, meeting: IdtMeeting) -> IdtMeeting:
    return meeting_get_for(request.user, meeting.pk)


@staff_view("idt.view")
@require_POST
def agenda_build(request: HttpRequest, meeting_id: str) -> HttpResponse:
    user: Any = request.user
    return _meeting_action(
        request,
        meeting_id,
        lambda meeting, version: idt.idt_agenda_build(
            actor=user, meeting=meeting, expected_version=version
        ),
        "Agenda rebuilt from the record; notes already written were kept.",
    )


@staff_view("idt.view")
@require_POST
def meeting_start(request: HttpRequest, meeting_id: str) -> HttpResponse:
    user: Any = request.user
    return _meeting_action(
        request,
        meeting_id,
        lambda meeting, version: idt.idt_meeting_start(
            actor=user, meeting=meeting, expected_version=version
        ),
        "Meeting started.",
    )


@staff_view("idt.view")
@require_POST
def attendance(request: HttpRequest, meeting_id: str) -> HttpResponse:
    user: Any = request.user
    meeting = meeting_get_for(user, meeting_id)
    form = idt_forms.AttendanceForm(request.POST, team=meeting.team)
    status, refusal = 400, ""
    if form.is_valid():
        try:
            idt.idt_attendance_set(
                actor=user,
                meeting=meeting,
                present=form.present(),
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            refusal = _refusal_of(exc, form)
        else:
            messages.success(request, "Attendance recorded.")
            return redirect(
                reverse("idt:meeting", kwargs={"meeting_id": meeting.pk}) + "#attendance"
            )
    return _render_meeting(
        request, _fresh(request, meeting), status=status, refusal=refusal, attendance_form=form
    )


@staff_view("idt.view")
@require_POST
def item_discuss(request: HttpRequest, meeting_id: str, agenda_item_id: str) -> HttpResponse:
    user: Any = request.user
    meeting = meeting_get_for(user, meeting_id)
    item = item_get_for(user, meeting, agenda_item_id)
    form = idt_forms.DiscussionForm(request.POST, prefix=_prefix(item))
    status, refusal = 400, ""
    if form.is_valid():
        try:
            idt.idt_item_discuss(
                actor=user,
                item=item,
                discussion=form.cleaned_data["discussion"],
                discussed=form.cleaned_data["discussed"],
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError:
            form.add_error(
                None,
                "Someone else saved notes for this patient while you were typing. Their "
                "notes are shown below; your text is kept in the box: merge the two and "
                "save again.",
            )
            status = 409
        except ValidationError as exc:
            refusal = _refusal_of(exc, form)
        else:
            messages.success(request, f"Notes saved for {item.patient.full_name}.")
            return redirect(_item_url(user, meeting, item))
    return _render_meeting(
        request,
        _fresh(request, meeting),
        status=status,
        refusal=refusal,
        bound={f"discussion-{item.pk}": form},
        page=agenda_page_of(user, meeting, item),
    )


@staff_view("idt.view")
@require_POST
def decision_record(request: HttpRequest, meeting_id: str, agenda_item_id: str) -> HttpResponse:
    user: Any = request.user
    meeting = meeting_get_for(user, meeting_id)
    item = item_get_for(user, meeting, agenda_item_id)
    form = idt_forms.DecisionForm(
        request.POST, prefix=f"{_prefix(item)}-d", staff=idt_forms.staff_of(meeting.program_id)
    )
    refusal = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                decision = idt.idt_decision_record(
                    actor=user,
                    item=item,
                    kind=data["kind"],
                    text=data["text"],
                    owner=data.get("owner"),
                    due=data.get("due"),
                    discipline=data.get("discipline") or "",
                    patient_words=data.get("patient_words") or "",
                    review_date=data.get("review_date"),
                )
        except ValidationError as exc:
            refusal = _refusal_of(exc, form)
        else:
            messages.success(
                request,
                f"Decision recorded for {item.patient.full_name}: "
                f"{decision.get_kind_display().lower()}.",
            )
            return redirect(_item_url(user, meeting, item))
    return _render_meeting(
        request,
        _fresh(request, meeting),
        status=400,
        refusal=refusal,
        bound={f"decision-{item.pk}": form},
        page=agenda_page_of(user, meeting, item),
    )


# --- the minutes -----------------------------------------------------------------------------


def _render_minutes(
    request: HttpRequest,
    meeting: IdtMeeting,
    form: Any = None,
    *,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    user: Any = request.user
    view = meeting_view_for(user, meeting, event="idt.minutes.read", page=None)
    if form is None and not meeting.is_signed:
        form = idt_forms.MinutesForm(
            initial={
                "version": meeting.version,
                "minutes": meeting.minutes or idt.minutes_draft(meeting),
            }
        )
    return render(
        request,
        "careplans/idt_minutes.html",
        {
            "meeting": meeting,
            "view": view,
            "form": form,
            # The minutes name every patient discussed: shown whole to those who reach them all.
            "sees_all": view.hidden_count == 0,
            "can_run": privileges.can(user, "idt.run"),
            "can_sign": privileges.can(user, "idt.sign"),
            "zone": meeting.program.timezone,
            "refusal": refusal,
        },
        status=status,
    )


@staff_view("idt.view")
@require_http_methods(["GET", "POST"])
def minutes(request: HttpRequest, meeting_id: str) -> HttpResponse:
    user: Any = request.user
    meeting = meeting_get_for(user, meeting_id)
    if request.method == "GET":
        return _render_minutes(request, meeting)
    form: idt_forms.MinutesForm | None = idt_forms.MinutesForm(request.POST)
    assert form is not None
    status, refusal = 400, ""
    if form.is_valid():
        sign = request.POST.get("action") == "sign"
        try:
            if sign:
                idt.idt_meeting_sign(
                    actor=user,
                    meeting=meeting,
                    minutes=form.cleaned_data["minutes"],
                    expected_version=form.cleaned_data["version"],
                )
            else:
                idt.idt_minutes_save(
                    actor=user,
                    meeting=meeting,
                    minutes=form.cleaned_data["minutes"],
                    expected_version=form.cleaned_data["version"],
                )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            refusal = _refusal_of(exc, form)
        else:
            messages.success(request, "Minutes signed." if sign else "Minutes saved.")
            return redirect("idt:minutes", meeting_id=meeting.pk)
    meeting = _fresh(request, meeting)
    if meeting.is_signed:
        form = None
    return _render_minutes(request, meeting, form, status=status, refusal=refusal)


# --- the medical director's view -------------------------------------------------------------


@staff_view("idt.view")
@require_GET
def not_discussed(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    page, days = not_discussed_page(user, _page_number(request))
    return render(
        request,
        "careplans/idt_not_discussed.html",
        {"page": page, "days": days, "now": clock.now()},
    )

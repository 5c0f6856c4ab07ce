"""The enrollment pages of a patient: discharge with a reason, a death, enrolling again.

Parse, call the service, render. The patient is reached through the access rule first (404
for missing and forbidden alike), then the clinical privilege decides (403 with the plain
message). A refused change shows the page again with every problem named (400); nothing is
written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pallio.core import access, privileges
from pallio.core.access import staff_view
from pallio.core.validation import apply_service_errors
from pallio.episodes import forms
from pallio.episodes.death import death_record
from pallio.episodes.discharge import episode_discharge, episode_reenroll
from pallio.episodes.selectors import enrollment_context_for, reenroll_candidates_for


def _chart(patient: Any, user: Any = None) -> HttpResponse:
    """Back to the chart; to the caseload for someone the discharge took off the team."""
    if user is not None and not access.can_access_patient(user, patient):
        return redirect("episodes:caseload")
    return redirect("patients:chart", patient_id=patient.pk)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, context, status=status)


@staff_view("caseload.view")
@require_http_methods(["GET", "POST"])
def discharge(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    context = enrollment_context_for(user, patient_id, audit=request.method == "GET")
    context["may"] = privileges.can(user, "episode.discharge")
    if request.method == "GET":
        context["form"] = forms.DischargeForm(initial={"on": context["today"]})
        return _render(request, "episodes/discharge.html", context)
    privileges.privilege_check(user, "episode.discharge")
    form = forms.DischargeForm(request.POST)
    if form.is_valid():
        try:
            if context["open_episode"] is None:
                raise ValidationError("This patient is not enrolled.")
            episode_discharge(
                actor=user,
                episode=context["open_episode"],
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                "Discharged from the program. The final summary goes to the referring "
                "clinician when their email is on file.",
            )
            return _chart(context["patient"], user)
    context["form"] = form
    return _render(request, "episodes/discharge.html", context, status=400)


@staff_view("caseload.view")
@require_http_methods(["GET", "POST"])
def death(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    context = enrollment_context_for(user, patient_id, audit=request.method == "GET")
    context["may"] = privileges.can(user, "death.record")
    if request.method == "GET":
        context["form"] = forms.DeathForm()
        return _render(request, "episodes/death.html", context)
    privileges.privilege_check(user, "death.record")
    form = forms.DeathForm(request.POST)
    if form.is_valid():
        try:
            death_record(actor=user, patient=context["patient"], data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                "Death recorded. The patient's open tasks and alerts are closed and the "
                "enrollment is discharged.",
            )
            return _chart(context["patient"])
    context["form"] = form
    return _render(request, "episodes/death.html", context, status=400)


@staff_view("caseload.view")
@require_http_methods(["GET", "POST"])
def reenroll(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    context = enrollment_context_for(user, patient_id, audit=request.method == "GET")
    context["may"] = privileges.can(user, "episode.reenroll")
    people = reenroll_candidates_for(user)
    if request.method == "GET":
        last = context["episodes"][0] if context["episodes"] else None
        team = (
            [str(m.user.uuid) for m in last.team.select_related("user")] if last is not None else []
        )
        context["form"] = forms.ReenrollForm(
            people=people,
            initial={"team": team, "lead": team[0] if team else "", "first_visit_due": ""},
        )
        return _render(request, "episodes/reenroll.html", context)
    privileges.privilege_check(user, "episode.reenroll")
    form = forms.ReenrollForm(request.POST, people=people)
    if form.is_valid():
        data = form.cleaned_data
        team = [form.people[key] for key in data["team"]]
        try:
            episode_reenroll(
                actor=user,
                patient=context["patient"],
                team=team,
                lead=form.people.get(data["lead"]),
                first_visit_due=data["first_visit_due"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Enrolled again: a new episode of care has started.")
            return _chart(context["patient"])
    context["form"] = form
    return _render(request, "episodes/reenroll.html", context, status=400)

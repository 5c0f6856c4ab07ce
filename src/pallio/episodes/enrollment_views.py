"""The enrollment pages of a patient: discharge with a reason, a death, enrolling again, and
the care team (who is on it, its history, adding and ending members, changing the lead).

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

from pallio.accounts.models import User
from pallio.core import access, privileges
from pallio.core.access import staff_view
from pallio.core.validation import apply_service_errors
from pallio.episodes import forms
from pallio.episodes.death import death_record
from pallio.episodes.discharge import episode_discharge, episode_reenroll
from pallio.episodes.selectors import (
    care_team_context_for,
    enrollment_context_for,
    reenroll_candidates_for,
)
from pallio.episodes.services import (
    care_team_lead_change,
    care_team_member_add,
    care_team_member_end,
)


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


# --- the care team: who is on it, its history, and changing it ------------------------------


def _care_team_page(
    request: HttpRequest, patient_id: str, status: int = 200, **forms_: Any
) -> HttpResponse:
    user: Any = request.user
    context = care_team_context_for(user, patient_id, audit=request.method == "GET")
    episode = context["open_episode"]
    context["may"] = (
        episode is not None
        and episode.status != "finished"
        and privileges.can(user, "care_team.manage")
    )
    context["add_form"] = forms_.get("add_form") or forms.CareTeamAddForm()
    context["add_form"].offer(context["candidates"])
    context["lead_form"] = forms_.get("lead_form") or forms.CareTeamLeadForm()
    context["end_form"] = forms_.get("end_form")
    context["end_member"] = forms_.get("end_member")
    context["others"] = {
        m.pk: [o for o in context["members"] if o.pk != m.pk] for m in context["members"]
    }
    return render(request, "episodes/care_team.html", context, status=status)


def _reach_for_change(user: Any, patient_id: str) -> Any:
    """The patient's open enrollment, if any: the patient is reached first (404 for missing
    and forbidden alike), then the privilege decides (403), before any input is read."""
    context = enrollment_context_for(user, patient_id, audit=False)
    privileges.privilege_check(user, "care_team.manage")
    return context["open_episode"]


def _open(episode: Any) -> Any:
    if episode is None:
        raise ValidationError("This patient is not enrolled: there is no care team to change.")
    return episode


def _after_change(request: HttpRequest, episode: Any, message: str) -> HttpResponse:
    """Back to the care-team page; to the caseload for someone who took themselves off."""
    messages.success(request, message)
    if not access.can_access_patient(request.user, episode.patient):
        return redirect("episodes:caseload")
    return redirect("enrollment:care_team", patient_id=episode.patient_id)


def _back_to_page(user: Any, patient_id: str) -> HttpResponse:
    """A change's address opened again (reloaded after a refusal): the page, reached by the
    same rule."""
    enrollment_context_for(user, patient_id, audit=False)
    return redirect("enrollment:care_team", patient_id=patient_id)


@staff_view("caseload.view")
@require_http_methods(["GET"])
def care_team(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _care_team_page(request, patient_id)


@staff_view("caseload.view")
@require_http_methods(["GET", "POST"])
def care_team_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    if request.method == "GET":
        return _back_to_page(user, patient_id)
    episode = _reach_for_change(user, patient_id)
    form = forms.CareTeamAddForm(request.POST)
    if form.is_valid():
        try:
            _open(episode)
            person = User.objects.filter(
                program_id=user.program_id, uuid=form.cleaned_data["user"]
            ).first()
            if person is None:
                raise ValidationError({"user": ["Choose care team members from this program."]})
            care_team_member_add(
                actor=user, episode=episode, user=person, make_lead=form.cleaned_data["make_lead"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            joined = f"{person.display_name} joined the care team"
            lead = " and leads it" if form.cleaned_data["make_lead"] else ""
            return _after_change(request, episode, f"{joined}{lead}.")
    return _care_team_page(request, patient_id, status=400, add_form=form)


@staff_view("caseload.view")
@require_http_methods(["GET", "POST"])
def care_team_end(request: HttpRequest, patient_id: str, member_id: str) -> HttpResponse:
    user: Any = request.user
    if request.method == "GET":
        return _back_to_page(user, patient_id)
    episode = _reach_for_change(user, patient_id)
    form = forms.CareTeamEndForm(request.POST)
    if form.is_valid():
        try:
            ended = care_team_member_end(
                actor=user,
                episode=_open(episode),
                member=member_id,
                new_lead=form.cleaned_data["new_lead"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _after_change(
                request, episode, f"{ended.user.display_name} has left the care team."
            )
    return _care_team_page(
        request, patient_id, status=400, end_form=form, end_member=str(member_id)
    )


@staff_view("caseload.view")
@require_http_methods(["GET", "POST"])
def care_team_lead(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    if request.method == "GET":
        return _back_to_page(user, patient_id)
    episode = _reach_for_change(user, patient_id)
    form = forms.CareTeamLeadForm(request.POST)
    if form.is_valid():
        try:
            lead = care_team_lead_change(
                actor=user, episode=_open(episode), member=form.cleaned_data["member"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _after_change(
                request, episode, f"{lead.user.display_name} now leads the care team."
            )
    return _care_team_page(request, patient_id, status=400, lead_form=form)

"""The bereavement pages: the worklist of contacts due, a family's follow-up, and the forms
that record a contact, a grief risk screen or a referral. Parse, call a service or selector,
render. Bad input shows the page again with the reason (400) and nothing is written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import clock, params, privileges
from pallio.core.access import staff_view
from pallio.core.validation import apply_service_errors
from pallio.episodes import bereavement
from pallio.episodes.bereavement_forms import ContactForm, ReferralForm, ScreenForm
from pallio.episodes.bereavement_selectors import (
    contact_get_for,
    follow_up_get_for,
    follow_up_view_for,
    worklist_page_for,
)
from pallio.episodes.models import BereavementContact, BereavementFollowUp


@staff_view("bereavement.view")
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    page = worklist_page_for(user, params.page_of(request.GET))
    return render(
        request,
        "episodes/bereavement_worklist.html",
        {
            "page": page,
            "days": user.program.setting("bereavement_worklist_days"),
            "can_record": privileges.can(user, "bereavement.record"),
        },
    )


def _render_follow_up(
    request: HttpRequest,
    follow_up: BereavementFollowUp,
    *,
    referral_form: Any = None,
    screen_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    view = follow_up_view_for(user, follow_up)
    family = follow_up.patient.family  # type: ignore[attr-defined]
    if referral_form is None:
        referral_form = ReferralForm(
            family=family, initial={"referred_on": view.today}, prefix="refer"
        )
    if screen_form is None:
        screen_form = ScreenForm(initial=follow_up.risk_answers, prefix="screen")
    screen = bereavement.risk_screen()
    answered = [item.text for item in screen.items if follow_up.risk_answers.get(item.key)]
    return render(
        request,
        "episodes/bereavement_follow_up.html",
        {
            "view": view,
            "follow_up": follow_up,
            "patient": follow_up.patient,
            "family": family,
            "death_day": bereavement.death_day(follow_up.program, follow_up.died_at),
            "is_open": follow_up.status == BereavementFollowUp.Status.OPEN,
            "referral_form": referral_form,
            "screen_form": screen_form,
            "screen": screen,
            "answered": answered,
            "can_record": privileges.can(user, "bereavement.record"),
            "can_screen": privileges.can(user, "bereavement.screen"),
            "can_refer": privileges.can(user, "bereavement.refer"),
        },
        status=status,
    )


@staff_view("bereavement.view")
@require_GET
def follow_up_detail(request: HttpRequest, follow_up_id: str) -> HttpResponse:
    return _render_follow_up(request, follow_up_get_for(request.user, follow_up_id))


def _next_contact_message(follow_up: BereavementFollowUp) -> str:
    follow_up.refresh_from_db(fields=["status"])
    if follow_up.status == BereavementFollowUp.Status.DECLINED:
        return "The family declined further contact: the follow-up is closed."
    nxt = follow_up.contacts.filter(status=BereavementContact.Status.DUE).first()
    if nxt is None:
        return "That was the last planned contact: the follow-up is complete."
    return f"Next contact: {nxt.label}, due {nxt.due_on.day} {nxt.due_on:%b %Y}."


@staff_view("bereavement.view")
@require_http_methods(["GET", "POST"])
def contact_record(request: HttpRequest, follow_up_id: str, contact_id: str) -> HttpResponse:
    user: Any = request.user
    follow_up = follow_up_get_for(user, follow_up_id)
    contact = contact_get_for(user, follow_up, contact_id)
    family = follow_up.patient.family  # type: ignore[attr-defined]
    form = ContactForm(
        request.POST or None,
        family=family,
        initial={
            "done_on": clock.today_in(follow_up.program.timezone),
            "kind": contact.planned_kind,
            "caregiver": str(family[0].pk) if len(family) == 1 else "",
        },
    )
    if request.method == "POST":
        privileges.privilege_check(user, "bereavement.record")
        if form.is_valid():
            data = form.cleaned_data
            try:
                bereavement.bereavement_contact_record(
                    actor=user,
                    contact=contact,
                    caregiver=data["caregiver"],
                    done_on=data["done_on"],
                    kind=data["kind"],
                    outcome=data["outcome"],
                    notes=data["notes"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"{contact.label} recorded. {_next_contact_message(follow_up)}"
                )
                return redirect("bereavement:follow_up", follow_up_id=follow_up.pk)
    view = follow_up_view_for(user, follow_up)
    return render(
        request,
        "episodes/bereavement_contact.html",
        {
            "form": form,
            "contact": contact,
            "follow_up": follow_up,
            "patient": follow_up.patient,
            "family": family,
            "view": view,
            "is_due": contact.status == BereavementContact.Status.DUE
            and follow_up.status == BereavementFollowUp.Status.OPEN,
            "can_record": privileges.can(user, "bereavement.record"),
        },
        status=400 if form.is_bound else 200,
    )


@staff_view("bereavement.view")
@require_POST
def screen_record(request: HttpRequest, follow_up_id: str) -> HttpResponse:
    user: Any = request.user
    follow_up = follow_up_get_for(user, follow_up_id)
    privileges.privilege_check(user, "bereavement.screen")
    form = ScreenForm(request.POST, prefix="screen")
    if form.is_valid():
        try:
            bereavement.bereavement_screen_record(
                actor=user, follow_up=follow_up, answers=dict(form.cleaned_data)
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Grief risk screen recorded.")
            return redirect("bereavement:follow_up", follow_up_id=follow_up.pk)
    return _render_follow_up(request, follow_up, screen_form=form, status=400)


@staff_view("bereavement.view")
@require_POST
def referral_create(request: HttpRequest, follow_up_id: str) -> HttpResponse:
    user: Any = request.user
    follow_up = follow_up_get_for(user, follow_up_id)
    privileges.privilege_check(user, "bereavement.refer")
    family = follow_up.patient.family  # type: ignore[attr-defined]
    form = ReferralForm(request.POST, family=family, prefix="refer")
    if form.is_valid():
        data = form.cleaned_data
        try:
            bereavement.bereavement_refer(
                actor=user,
                follow_up=follow_up,
                caregiver=data["caregiver"],
                service=data["service"],
                referred_to=data["referred_to"],
                referred_on=data["referred_on"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Referral recorded.")
            return redirect("bereavement:follow_up", follow_up_id=follow_up.pk)
    return _render_follow_up(request, follow_up, referral_form=form, status=400)

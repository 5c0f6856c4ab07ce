"""The program administrator's staff pages, a new program, and the invitation link."""

from __future__ import annotations

import math
import smtplib
from collections.abc import Callable
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from pallio.accounts import invitations, second_factor, selectors, services
from pallio.accounts.models import SecondFactorReset
from pallio.accounts.staff_forms import (
    AcceptInvitationForm,
    InviteForm,
    ProgramCreateForm,
    ResetRequestForm,
    StaffChangeForm,
)
from pallio.core.access import public_view, staff_view
from pallio.core.validation import apply_service_errors

MAIL_FAILED = (
    "The invitation email could not be sent, so nothing was saved. Try again in a few "
    "minutes; if it keeps failing, tell whoever runs the server."
)


def _link_builder(request: HttpRequest) -> Callable[[str], str]:
    return lambda token: request.build_absolute_uri(
        reverse("invitation_accept", kwargs={"token": token})
    )


@staff_view("staff.manage")
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/staff_list.html",
        {
            "staff": list(selectors.staff_list_for(request.user)),
            "resets": selectors.pending_resets_for(request.user),
            "invitations": list(selectors.open_invitations_for(request.user)),
        },
    )


@staff_view("staff.manage")
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, staff_id: Any) -> HttpResponse:
    member = selectors.staff_member_get_for(request.user, staff_id)
    initial = {
        "role": member.role,
        "discipline": member.discipline,
        "training_level": member.training_level,
        "supervisor": str(member.supervisor.uuid) if member.supervisor else "",
    }
    form = StaffChangeForm(request.POST or None, initial=initial)
    form.set_supervisors(member.program_id, exclude=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(
                actor=request.user,
                user=member,
                role=form.cleaned_data["role"],
                discipline=form.cleaned_data["discipline"],
                training_level=form.cleaned_data["training_level"],
                supervisor=form.supervisor_in(member.program_id),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            member.refresh_from_db()
        else:
            messages.success(request, f"{member.display_name}'s account is saved.")
            return redirect("staff:detail", staff_id=member.uuid)
    reset = SecondFactorReset.objects.filter(
        user=member, approved_at__isnull=True, cancelled_at__isnull=True
    ).first()
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "member": member,
            "form": form,
            "reset": reset,
            "reset_form": ResetRequestForm(),
            "has_second_factor": second_factor.second_factor_is_set_up(member),
            "is_self": member.pk == request.user.pk,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_view("staff.manage")
@require_POST
def staff_deactivate(request: HttpRequest, staff_id: Any) -> HttpResponse:
    member = selectors.staff_member_get_for(request.user, staff_id)
    try:
        services.staff_deactivate(actor=request.user, user=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("staff:detail", staff_id=member.uuid)
    messages.success(
        request, f"{member.display_name} is deactivated: their sessions and API tokens ended."
    )
    return redirect("staff:list")


@staff_view("staff.manage")
@require_POST
def second_factor_reset(request: HttpRequest, staff_id: Any) -> HttpResponse:
    """Ask for, approve or withdraw the reset of `staff_id`'s second factor."""
    member = selectors.staff_member_get_for(request.user, staff_id)
    step = request.POST.get("step", "")
    pending = SecondFactorReset.objects.filter(
        user=member, approved_at__isnull=True, cancelled_at__isnull=True
    ).first()
    try:
        if step == "request":
            form = ResetRequestForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Say why the second factor must be reset.")
            second_factor.second_factor_reset_request(
                actor=request.user, user=member, reason=form.cleaned_data["reason"]
            )
            done = "The reset is asked for. Another administrator must approve it."
        elif step in ("approve", "cancel") and pending is not None:
            if step == "approve":
                second_factor.second_factor_reset_approve(actor=request.user, reset=pending)
                done = (
                    f"{member.display_name}'s second factor is removed; they set up a new one "
                    "at their next sign-in."
                )
            else:
                second_factor.second_factor_reset_cancel(actor=request.user, reset=pending)
                done = "The reset request is withdrawn."
        else:
            raise ValidationError("There is no reset waiting for this person.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("staff:detail", staff_id=member.uuid)


@staff_view("staff.manage")
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    program_id = request.user.program_id  # type: ignore[union-attr]
    form = InviteForm(request.POST or None)
    form.set_supervisors(program_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitations.invitation_create(
                actor=request.user,
                program=request.user.program,  # type: ignore[union-attr,arg-type]
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                discipline=data["discipline"],
                training_level=data["training_level"],
                supervisor=form.supervisor_in(program_id),
                link_for=_link_builder(request),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except (OSError, smtplib.SMTPException):
            form.add_error(None, MAIL_FAILED)
        else:
            messages.success(
                request,
                f"An invitation was emailed to {data['email']}. The link works once, for 7 days.",
            )
            return redirect("staff:list")
    return render(
        request,
        "accounts/invite.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_view("staff.manage")
@require_POST
def invitation_withdraw(request: HttpRequest) -> HttpResponse:
    try:
        invitation = selectors.invitation_get_for(request.user, request.POST.get("invitation"))
    except ValidationError:
        return redirect("staff:list")
    invitations.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("staff:list")


@staff_view("program.manage")
@require_http_methods(["GET", "POST"])
def program_new(request: HttpRequest) -> HttpResponse:
    form = ProgramCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            program, _ = invitations.program_create_with_administrator(
                actor=request.user,
                name=data["name"],
                slug=data["slug"],
                timezone=data["timezone"],
                admin_email=data["admin_email"],
                admin_first_name=data["admin_first_name"],
                admin_last_name=data["admin_last_name"],
                link_for=_link_builder(request),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except (OSError, smtplib.SMTPException):
            form.add_error(None, MAIL_FAILED)
        else:
            messages.success(
                request,
                f"{program.name} is created. Its first administrator was invited by email to "
                f"{data['admin_email']}.",
            )
            return redirect("staff:list")
    return render(
        request,
        "accounts/program_new.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- the invitation link (public) ----------------------------------------------------------

UNUSABLE = {
    "used": "This invitation link was used already. Sign in with the username you chose.",
    "expired": "This invitation link has expired. Ask your program administrator for a new one.",
    "revoked": "This invitation link was withdrawn. Ask your program administrator for a new one.",
    "unknown": "This invitation link is not recognised. Check that the whole link was copied "
    "from the email, or ask your program administrator for a new one.",
}


def _rate_limited(request: HttpRequest) -> int:
    rate = f"{getattr(settings, 'PALLIO_INVITATION_RATE_LIMIT_PER_HOUR', 60)}/h"
    usage = get_usage(request, group="invitation", key="ip", rate=rate, method=ALL, increment=True)
    return max(int(usage["time_left"]), 1) if usage and usage["should_limit"] else 0


def _unusable(request: HttpRequest, state: str) -> HttpResponse:
    return render(
        request,
        "accounts/invitation_unusable.html",
        {"reason": UNUSABLE[state]},
        status=404 if state == "unknown" else 410,
    )


@public_view
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    wait = _rate_limited(request)
    if wait:
        response = render(
            request,
            "accounts/throttled.html",
            {
                "title": "Too many attempts",
                "reason": "This invitation page was opened too often from your network address.",
                "minutes": max(1, math.ceil(wait / 60)),
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_signed_in.html", status=409)
    invitation = invitations.invitation_for_token(token)
    if invitation is None:
        return _unusable(request, "unknown")
    from pallio.core import clock

    state = invitation.state(clock.now())
    if state != "open":
        return _unusable(request, state)
    form = AcceptInvitationForm(
        request.POST or None,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitations.invitation_accept(
                token=token,
                username=data["username"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except invitations.InvitationUnusable as refused:
            return _unusable(request, refused.state)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                exc = ValidationError({"password1": exc.error_dict.pop("password")})
            apply_service_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            # The password was chosen a moment ago: setting up the authenticator app does not
            # ask for it again.
            record_authentication(
                request, user, method="password", username=user.username, reauthenticated=True
            )
            messages.success(
                request,
                "Your account is ready. Now set up your authenticator app: Pallio asks for a "
                "code from it each time you sign in.",
            )
            return redirect("mfa_activate_totp")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.is_bound and form.errors else 200,
    )

"""The portal's own account pages: accepting an invitation, "Your account" (password and
second factor), and "Who can see my care" (the patient's caregivers and their scopes)."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.accounts.views import _rate_limited
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.access import public_view
from pallio.core.validation import apply_service_errors
from pallio.portal import people
from pallio.portal.access import portal_accesses, portal_account_view, portal_view
from pallio.portal.confidential import is_adolescent
from pallio.portal.forms import SCOPE_LABELS, AcceptForm, ScopesForm
from pallio.portal.invitations import (
    InvitationUnusable,
    portal_invitation_accept,
    portal_invitation_for_token,
)
from pallio.portal.models import PortalAccess


def _unusable_reasons() -> dict[str, str]:
    return {
        "used": _("This invitation link was used already. Sign in with the username you chose."),
        "expired": _("This invitation link has expired. Ask the care team for a new one."),
        "revoked": _("This invitation link was withdrawn. Ask the care team for a new one."),
        "unknown": _(
            "This invitation link is not recognised. Check that the whole link was copied from "
            "the email, or ask the care team for a new one."
        ),
    }


def _unusable(request: HttpRequest, state: str) -> HttpResponse:
    return render(
        request,
        "portal/invitation_unusable.html",
        {"reason": _unusable_reasons()[state]},
        status=404 if state == "unknown" else 410,
    )


@public_view
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation email: choose a username and a password."""
    wait = _rate_limited(request)
    if wait:
        response = render(
            request,
            "portal/invitation_unusable.html",
            {
                "reason": _(
                    "This page was opened too often from your network address. Try again in "
                    "%(minutes)s minutes."
                )
                % {"minutes": max(1, math.ceil(wait / 60))}
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    if request.user.is_authenticated:
        return render(request, "portal/invitation_signed_in.html", status=409)
    found = portal_invitation_for_token(token)
    if found is None:
        return _unusable(request, "unknown")
    state = found.state(clock.now())
    if state != "open":
        return _unusable(request, state)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = portal_invitation_accept(
                token=token, username=data["username"], password=data["password1"]
            )
        except InvitationUnusable as refused:
            return _unusable(request, refused.state)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                exc = ValidationError({"password1": exc.error_dict.pop("password")})
            apply_service_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "Your account is ready. You can add a second step to signing in from "
                    "“Your account”."
                ),
            )
            return redirect("portal:home")
    return render(
        request,
        "portal/invitation_accept.html",
        {"form": form, "invitation": found},
        status=400 if form.is_bound and form.errors else 200,
    )


@portal_account_view
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """Your account: the password and the second factor (django-allauth's pages)."""
    from allauth.mfa.utils import is_mfa_enabled

    accesses = list(portal_accesses(request.user))
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.account",
        program=accesses[0].program if accesses else None,
    )
    return render(
        request,
        "portal/account.html",
        {"accesses": accesses, "has_second_factor": is_mfa_enabled(request.user)},
    )


def _people_context(access: PortalAccess) -> dict[str, object]:
    rows = []
    for caregiver in people.caregivers_of(access):
        rows.append(
            {
                "access": caregiver,
                "form": ScopesForm(
                    initial={"scopes": list(caregiver.scopes or [])},
                    prefix=f"c{caregiver.pk.hex[:8]}",
                ),
            }
        )
    return {
        "access": access,
        "caregivers": rows,
        "scope_labels": SCOPE_LABELS,
        "adolescent": is_adolescent(access.patient),
    }


@portal_view()
@require_GET
def who_can_see(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    """Who can see my care: each caregiver, what they can see, and removing them."""
    people.people_check(access)
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.people",
        patient=access.patient,
        program=access.program,
    )
    return render(request, "portal/people.html", _people_context(access))


def _back(access: PortalAccess) -> HttpResponse:
    return redirect(reverse("portal:people", kwargs={"patient_id": access.patient_id}))


@portal_view()
@require_POST
def caregiver_scopes(
    request: HttpRequest, access: PortalAccess, portal_access_id: str
) -> HttpResponse:
    people.people_check(access)
    caregiver = people.caregiver_of(access, portal_access_id)
    form = ScopesForm(request.POST, prefix=f"c{caregiver.pk.hex[:8]}")
    if not form.is_valid():
        messages.error(request, _("Choose what they can see from the list. Nothing was changed."))
        return _back(access)
    people.caregiver_scopes_set(
        access=access, caregiver=caregiver, scopes=form.cleaned_data["scopes"]
    )
    messages.success(
        request,
        _("Saved. %(name)s now sees only what is ticked.") % {"name": caregiver.user.display_name},
    )
    return _back(access)


@portal_view()
@require_POST
def caregiver_remove(
    request: HttpRequest, access: PortalAccess, portal_access_id: str
) -> HttpResponse:
    people.people_check(access)
    caregiver = people.caregiver_of(access, portal_access_id)
    people.caregiver_revoke(access=access, caregiver=caregiver)
    messages.success(
        request,
        _("%(name)s no longer has access.") % {"name": caregiver.user.display_name},
    )
    return _back(access)

"""The team's portal page for one patient: who has portal access, open invitations, inviting
the patient or a family member, withdrawing an invitation, suspending a caregiver (with a
reason) and lifting it, and recording that the patient cannot decide."""

from __future__ import annotations

import smtplib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.acp.models import HealthcareAgent
from pallio.core.access import staff_view
from pallio.core.privileges import can
from pallio.core.validation import apply_service_errors
from pallio.patients.selectors import patient_get_for
from pallio.portal import invitations, team
from pallio.portal.forms import PortalInviteForm, SuspendForm
from pallio.portal.models import PortalInvitation, PortalScope

MAIL_FAILED = (
    "The invitation email could not be sent, so nothing was saved. Try again in a few "
    "minutes; if it keeps failing, tell whoever runs the server."
)


def _agents(patient: Any) -> list[HealthcareAgent]:
    return list(HealthcareAgent.objects.filter(patient=patient, entered_in_error=False))


def _page(
    request: HttpRequest,
    patient: Any,
    *,
    form: PortalInviteForm | None = None,
    suspend_errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    agents = _agents(patient)
    if form is None:
        form = PortalInviteForm(patient=patient, agents=agents, initial={"language": "en"})
    accounts = list(team.portal_accounts_of(patient))
    labels = dict(PortalScope.choices)
    for row in accounts:
        row.scope_names = ", ".join(  # type: ignore[attr-defined]
            str(labels[s]).lower() for s in row.scopes or [] if s in labels
        )
    return render(
        request,
        "portal/team/patient.html",
        {
            "patient": patient,
            "accounts": accounts,
            "invitations": list(team.open_invitations_of(patient)),
            "form": form,
            "agent_emails": {str(a.pk): a.email for a in agents if a.email},
            "may_manage": can(request.user, invitations.PRIVILEGE),
            "suspend_errors": suspend_errors or {},
        },
        status=status,
    )


def _back(patient: Any) -> HttpResponse:
    return redirect(reverse("portal_team:patient", kwargs={"patient_id": patient.pk}))


@staff_view("caseload.view")
@require_GET
def patient_portal(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, event="portal.team_page")
    return _page(request, patient)


@staff_view("caseload.view")
@require_POST
def invite(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, audit=False)
    form = PortalInviteForm(request.POST, patient=patient, agents=_agents(patient))
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitations.portal_invitation_create(
                actor=request.user,
                patient=patient,
                email=data["email"],
                person=form.person(),
                scopes=data["scopes"],
                language=data["language"],
                link_for=lambda token: request.build_absolute_uri(
                    reverse("portal:invitation", kwargs={"token": token})
                ),
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
            return redirect(
                reverse("portal_team:patient", kwargs={"patient_id": patient.pk}), status=302
            )
    return _page(request, patient, form=form, status=400)


@staff_view("caseload.view")
@require_POST
def invitation_withdraw(request: HttpRequest, patient_id: str, invitation_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, audit=False)
    invitation = PortalInvitation.objects.filter(pk=invitation_id, patient=patient).first()
    if invitation is None:
        raise Http404
    invitations.portal_invitation_withdraw(actor=request.user, invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return _back(patient)


@staff_view("caseload.view")
@require_POST
def suspend(request: HttpRequest, patient_id: str, portal_access_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, audit=False)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        reason = " ".join(str(e) for e in form.errors.get("reason", []))
        return _page(
            request,
            patient,
            suspend_errors={str(portal_access_id): reason or "Give the reason."},
            status=400,
        )
    try:
        row = team.caregiver_suspend(
            actor=request.user,
            patient=patient,
            access_id=portal_access_id,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        return _page(
            request,
            patient,
            suspend_errors={str(portal_access_id): " ".join(exc.messages)},
            status=400,
        )
    messages.success(request, f"{row.user.display_name}'s portal access is suspended.")
    return _back(patient)


@staff_view("caseload.view")
@require_POST
def lift(request: HttpRequest, patient_id: str, portal_access_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, audit=False)
    row = team.caregiver_lift(actor=request.user, patient=patient, access_id=portal_access_id)
    messages.success(request, f"{row.user.display_name}'s portal access is restored.")
    return _back(patient)


@staff_view("caseload.view")
@require_POST
def decides(request: HttpRequest, patient_id: str, portal_access_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, audit=False)
    value = request.POST.get("decides") == "yes"
    try:
        row = team.decides_for_patient_set(
            actor=request.user, patient=patient, access_id=portal_access_id, decides=value
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(patient)
    if value:
        done = f"{row.user.display_name} now decides who can see the patient's care."
    else:
        done = "The patient decides again who can see their care."
    messages.success(request, done)
    return _back(patient)

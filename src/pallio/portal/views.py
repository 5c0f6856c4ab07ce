"""The portal's start: the patients this account reaches, and each patient's home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.portal.access import portal_accesses, portal_account_view, portal_view
from pallio.portal.forms import SCOPE_LABELS
from pallio.portal.home_selectors import portal_home_sections
from pallio.portal.models import PortalAccess
from pallio.portal.people import can_manage_people


@portal_account_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One patient: straight to their page. Several (a caregiver of two): choose."""
    accesses = list(portal_accesses(request.user))
    if len(accesses) == 1:
        return redirect("portal:patient_home", patient_id=accesses[0].patient_id)
    return render(request, "portal/choose.html", {"accesses": accesses})


@portal_view()
@require_GET
def patient_home(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.home",
        patient=access.patient,
        program=access.program,
    )
    return render(
        request,
        "portal/patient_home.html",
        {
            "access": access,
            **portal_home_sections(access),
            # What this account may use here, in the patient's words (portal/forms.py).
            "portal_scope_list": [
                (str(scope), label) for scope, label in SCOPE_LABELS.items() if access.can(scope)
            ],
            "may_manage_people": can_manage_people(access),
        },
    )

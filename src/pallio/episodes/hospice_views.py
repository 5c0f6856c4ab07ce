"""Hospice pages: the eligibility aid and referrals of a patient, the hand-off package, and
the "consider a hospice conversation" worklist. Parse, call a service or selector, render.

A refused change shows the page again with the form and its errors (400), or with the
conflict explained (409). Nothing is written when a change is refused.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.episodes import hospice
from pallio.episodes.hospice_forms import HospiceReferralForm, HospiceStatusForm
from pallio.episodes.hospice_package import render_package_pdf


def _page_url(patient_id: Any) -> str:
    return reverse("hospice:patient", kwargs={"patient_id": patient_id})


def _render_page(
    request: HttpRequest,
    patient_id: Any,
    *,
    status: int = 200,
    audit: bool = True,
    refer_form: Any = None,
    failed: tuple[Any, Any] | None = None,
) -> HttpResponse:
    user: Any = request.user
    context = hospice.hospice_page_for(user, patient_id, audit=audit)
    context["can_refer"] = privileges.can(user, "hospice.refer")
    context["can_update"] = privileges.can(user, "hospice.update")
    context["refer_form"] = refer_form or HospiceReferralForm(
        initial={"referred_on": context["today"]}
    )
    context["open_panel"] = "refer" if refer_form is not None else ""
    rows = []
    for referral in context["referrals"]:
        if failed is not None and failed[0] == referral.pk:
            form = failed[1]
        else:
            form = HospiceStatusForm(
                referral=referral,
                initial={"version": referral.version, "occurred_on": context["today"]},
                prefix=f"r{referral.pk.hex[:8]}",
            )
        rows.append((referral, form))
    context["rows"] = rows
    context["failed_id"] = failed[0] if failed else None
    context["status_labels"] = hospice.STATUS_LABELS
    return render(request, "episodes/hospice_patient.html", context, status=status)


@staff_view("hospice.view")
@require_GET
def patient_hospice(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _render_page(request, patient_id)


@staff_view("hospice.view")
@require_POST
def referral_send(request: HttpRequest, patient_id: str) -> HttpResponse:
    from pallio.patients.selectors import patient_get_for

    patient = patient_get_for(request.user, patient_id, audit=False)
    form = HospiceReferralForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            referral = hospice.hospice_referral_send(
                actor=request.user, patient=patient, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if referral.agency_email:
                done = f"the hand-off package is being emailed to {referral.agency_email}."
            else:
                done = "download the hand-off package below to send it."
            messages.success(request, f"Referred to {referral.agency_name}; {done}")
            return redirect(_page_url(patient.pk))
    return _render_page(request, patient.pk, status=status, audit=False, refer_form=form)


@staff_view("hospice.view")
@require_POST
def referral_status(
    request: HttpRequest, patient_id: str, hospice_referral_id: str
) -> HttpResponse:
    referral = hospice.referral_get_for(request.user, patient_id, hospice_referral_id)
    form = HospiceStatusForm(request.POST, referral=referral, prefix=f"r{referral.pk.hex[:8]}")
    status = 400
    if form.is_valid():
        try:
            with transaction.atomic():
                locked = hospice.referral_get_for(
                    request.user, patient_id, hospice_referral_id, lock=True
                )
                hospice.hospice_referral_status_set(
                    actor=request.user,
                    referral=locked,
                    status=form.cleaned_data["status"],
                    occurred_on=form.cleaned_data["occurred_on"],
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not access.can_access_patient(request.user, referral.patient):
                # The admission discharged the patient to hospice and ended the care team's
                # memberships: the caseload, rather than a page the user no longer reaches.
                messages.success(
                    request,
                    "The hospice admitted the patient: discharged to hospice, and off your "
                    "caseload.",
                )
                return redirect("episodes:caseload")
            messages.success(request, "The hospice's answer is recorded.")
            return redirect(_page_url(referral.patient_id))
    return _render_page(
        request, referral.patient_id, status=status, audit=False, failed=(referral.pk, form)
    )


@staff_view("hospice.view")
@require_POST
def package_resend(request: HttpRequest, patient_id: str, hospice_referral_id: str) -> HttpResponse:
    referral = hospice.referral_get_for(request.user, patient_id, hospice_referral_id)
    try:
        hospice.hospice_package_resend(actor=request.user, referral=referral)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The package will be emailed again to {referral.agency_email}.")
    return redirect(_page_url(referral.patient_id))


def _package_of(request: HttpRequest, patient_id: str, referral_id: str, *, action: str) -> Any:
    referral = hospice.referral_get_for(request.user, patient_id, referral_id)
    audit_record(
        actor=request.user,
        action=action,
        event="hospice.package.print" if action == Action.PRINT else "hospice.package.export",
        patient=referral.patient,
        target=referral,
    )
    return referral


@staff_view("hospice.view")
@require_GET
def package_pdf(request: HttpRequest, patient_id: str, hospice_referral_id: str) -> HttpResponse:
    referral = _package_of(request, patient_id, hospice_referral_id, action=Action.PRINT)
    response = HttpResponse(render_package_pdf(referral.package), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="hospice-handoff-{referral.patient.mrn}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_view("hospice.view")
@require_GET
def package_fhir(request: HttpRequest, patient_id: str, hospice_referral_id: str) -> HttpResponse:
    referral = _package_of(request, patient_id, hospice_referral_id, action=Action.EXPORT)
    response = HttpResponse(
        json.dumps(referral.package_bundle, indent=2),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="hospice-handoff-{referral.patient.mrn}.json"'
    )
    return response


@staff_view("hospice.worklist")
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    query = params.parse(params.PageQuery, request.GET)
    user: Any = request.user
    page = hospice.hospice_worklist_for(user, query["page"])
    return render(
        request,
        "episodes/hospice_worklist.html",
        {
            "page": page,
            "thresholds": {
                "ppi": user.program.setting("idt_hospice_ppi_above"),
                "pap": user.program.setting("idt_hospice_pap_group"),
                "fast": user.program.setting("idt_hospice_fast_at_least"),
                "pps": user.program.setting("idt_hospice_pps_at_most"),
            },
        },
    )

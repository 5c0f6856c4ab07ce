"""Visit summary pages: a visit's summary and its delivery status, the two forms as PDF, the
FHIR Composition and DocumentReference, sending a failed one again, and the late list.

Every page is for staff who reach the patient (the same 404 for another program's or team's
patient as for a missing id); every read, print and export is audited.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from pallio.audit.models import Action
from pallio.core import params
from pallio.core.access import staff_view
from pallio.patients.selectors import patient_header_context
from pallio.visits import summaries
from pallio.visits.fhir import summary_bundle
from pallio.visits.pdf import render_summary_pdf, summary_context

# Who may look at summaries and send a failed one again: the clinical roles, on the patients
# they reach (the care team; program-wide roles on all of the program's).
PERM = "caseload.view"


def _summary_page_context(request: HttpRequest, summary: Any) -> dict[str, Any]:
    user: Any = request.user
    context = patient_header_context(user, summary.patient)
    context.update(summary_context(summary.content))
    context.update({"h1": "h3", "h2": "h4", "h3": "h5"})
    context.update({"summary": summary, "visit": summary.visit, "patient": summary.patient})
    return context


@staff_view(PERM)
@require_GET
def summary_detail(request: HttpRequest, patient_id: str, visit_id: str) -> HttpResponse:
    summary = summaries.summary_get_for(request.user, patient_id, visit_id)
    return render(request, "visits/summary_detail.html", _summary_page_context(request, summary))


@staff_view(PERM)
@require_GET
def summary_status(request: HttpRequest, patient_id: str, visit_id: str) -> HttpResponse:
    """The delivery status alone, for the note page to refresh in place."""
    summary = summaries.summary_get_for(
        request.user, patient_id, visit_id, event="visit_summary.status.read"
    )
    return render(request, "visits/_summary_status.html", {"summary": summary})


def _pdf(request: HttpRequest, patient_id: str, visit_id: str, form: str) -> HttpResponse:
    summary = summaries.summary_get_for(
        request.user,
        patient_id,
        visit_id,
        action=Action.PRINT,
        event=f"visit_summary.{form}.print",
    )
    pdf = render_summary_pdf(summary.content, form=form)
    day = summary.content["visit"]["at"][:10]
    name = "visit-summary-letter" if form == "letter" else "visit-summary"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}-{day}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@staff_view(PERM)
@require_GET
def letter_pdf(request: HttpRequest, patient_id: str, visit_id: str) -> HttpResponse:
    return _pdf(request, patient_id, visit_id, "letter")


@staff_view(PERM)
@require_GET
def plain_pdf(request: HttpRequest, patient_id: str, visit_id: str) -> HttpResponse:
    return _pdf(request, patient_id, visit_id, "plain")


@staff_view(PERM)
@require_GET
def summary_fhir(request: HttpRequest, patient_id: str, visit_id: str) -> HttpResponse:
    summary = summaries.summary_get_for(
        request.user, patient_id, visit_id, action=Action.EXPORT, event="visit_summary.fhir"
    )
    letter_url = request.build_absolute_uri(
        reverse(
            "summaries:letter_pdf",
            kwargs={"patient_id": summary.patient_id, "visit_id": summary.visit_id},
        )
    )
    bundle = summary_bundle(summary, letter_url=letter_url)
    return HttpResponse(
        json.dumps(bundle, indent=2), content_type="application/fhir+json; charset=utf-8"
    )


@staff_view(PERM)
@require_POST
def delivery_resend(
    request: HttpRequest, patient_id: str, visit_id: str, delivery_id: str
) -> HttpResponse:
    delivery = summaries.delivery_get_for(request.user, patient_id, visit_id, delivery_id)
    try:
        summaries.summary_delivery_resend(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"The summary to {delivery.get_audience_display().lower()} is queued again."
        )
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("summaries:detail", patient_id=delivery.summary.patient_id, visit_id=visit_id)


class LateQuery(params.QueryForm):
    page = params.PageParam()


@staff_view(PERM)
@require_GET
def late(request: HttpRequest) -> HttpResponse:
    query = params.parse(LateQuery, request.GET)
    page, days = summaries.late_page_for(request.user, query["page"])
    return render(request, "visits/summary_late.html", {"page": page, "days": days})

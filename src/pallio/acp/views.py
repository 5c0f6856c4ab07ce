"""Goals-of-care and advance-care-planning pages: parse, call a service or selector, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.acp import forms, services
from pallio.acp.conversation_views import (
    conversation_addendum,
    conversation_detail,
    conversation_new,
    conversation_sign,
)
from pallio.acp.fhir import acp_bundle
from pallio.acp.models import AdvanceDirectiveDocument
from pallio.acp.pdf import render_summary_pdf
from pallio.acp.selectors import (
    WORKLISTS,
    acp_export_for,
    acp_record_get_for,
    acp_review_page_for,
    acp_worklist_page_for,
    document_get_for,
)
from pallio.acp.view_helpers import _act, _render_page
from pallio.audit.models import Action
from pallio.core import clock, params
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.uploads import upload_download_response
from pallio.core.validation import apply_service_errors
from pallio.episodes import stays
from pallio.episodes.models import HospitalStay
from pallio.episodes.stay_forms import StayForm
from pallio.patients.selectors import patient_get_for


@staff_view("acp.view")
@require_GET
def patient_acp(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _render_page(request, patient_id)


# --- agents, documents, code status, orders, preferences ------------------------------------


@staff_view("acp.record")
@require_POST
def agent_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = patient_get_for(request.user, patient_id, audit=False)
    documents = list(
        AdvanceDirectiveDocument.objects.filter(patient=patient, entered_in_error=False)
    )
    form = forms.AgentForm(request.POST, documents=documents, prefix="agent")

    def act(patient: Any, data: dict[str, Any]) -> None:
        naming = next((d for d in documents if str(d.pk) == data.get("naming_document")), None)
        services.agent_add(
            actor=request.user, patient=patient, data=form.to_input(), naming_document=naming
        )

    return _act(request, patient_id, form, "agent_form", act, "Healthcare agent recorded.")


@staff_view("acp.record")
@require_POST
def agent_verify(request: HttpRequest, patient_id: str, agent_id: str) -> HttpResponse:
    _, agent = acp_record_get_for(request.user, patient_id, "agent", agent_id)
    form = forms.VersionForm(request.POST)

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.agent_verify(actor=request.user, agent=agent, expected_version=data["version"])

    return _act(request, patient_id, form, "verify_form", act, f"{agent.name} marked as verified.")


@staff_view("acp.record")
@require_POST
def document_upload(request: HttpRequest, patient_id: str) -> HttpResponse:
    form = forms.DocumentForm(request.POST, request.FILES, prefix="document")

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.directive_document_upload(
            actor=request.user,
            patient=patient,
            kind=data["kind"],
            document_date=data["document_date"],
            source=data["source"],
            upload=data["file"],
        )

    return _act(request, patient_id, form, "document_form", act, "Document uploaded.")


@staff_view("acp.record")
@require_POST
def document_verify(request: HttpRequest, patient_id: str, document_id: str) -> HttpResponse:
    _, document = acp_record_get_for(request.user, patient_id, "document", document_id)
    form = forms.ConfirmForm(request.POST)

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.directive_document_verify(actor=request.user, document=document)

    return _act(request, patient_id, form, "verify_form", act, "Document marked as verified.")


@staff_view("acp.view")
@require_GET
def document_download(request: HttpRequest, patient_id: str, document_id: str) -> FileResponse:
    document = document_get_for(request.user, patient_id, document_id)
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
    name = document.original_name
    wanted = extension.get(document.content_type, "")
    if wanted and not name.lower().endswith(wanted):
        name += wanted
    return upload_download_response(
        document.file.open("rb"), filename=name, content_type=document.content_type
    )


@staff_view("acp.record")
@require_POST
def code_status_change(request: HttpRequest, patient_id: str) -> HttpResponse:
    form = forms.CodeStatusForm(request.POST, prefix="cs")

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.code_status_change(
            actor=request.user,
            patient=patient,
            status=data["status"],
            effective_date=data["effective_date"],
            note=data.get("note", ""),
            expected_current_id=data.get("current_id") or None,
        )

    return _act(request, patient_id, form, "code_status_form", act, "Code status recorded.")


@staff_view("acp.record")
@require_POST
def portable_order(request: HttpRequest, patient_id: str) -> HttpResponse:
    form = forms.PortableOrderForm(request.POST, prefix="order")

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.portable_order_record(
            actor=request.user,
            patient=patient,
            data=form.to_input(),
            expected_current_id=data.get("current_id") or None,
        )

    return _act(request, patient_id, form, "order_form", act, "Portable medical order recorded.")


@staff_view("acp.record")
@require_POST
def treatment_preference(request: HttpRequest, patient_id: str) -> HttpResponse:
    category = request.POST.get("category", "")
    if category not in forms.TREATMENT_CATEGORIES:
        patient_get_for(request.user, patient_id, audit=False)
        return _render_page(request, patient_id, status=400)
    form = forms.TreatmentPreferenceForm(request.POST, prefix=category)

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.treatment_preference_set(
            actor=request.user,
            patient=patient,
            category=category,
            choice=data["choice"],
            stated_on=data["stated_on"],
            note=data.get("note", ""),
            expected_version=data.get("version"),
        )

    patient = patient_get_for(request.user, patient_id, audit=False)
    status = 400
    if form.is_valid():
        try:
            act(patient, form.cleaned_data)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Treatment preference recorded.")
            return redirect("acp:patient", patient_id=patient.pk)
    return _render_page(request, patient.pk, status=status, treatment_form=(category, form))


@staff_view("acp.record")
@require_POST
def place_preference(request: HttpRequest, patient_id: str) -> HttpResponse:
    form = forms.PlacePreferenceForm(request.POST, prefix="place")

    def act(patient: Any, data: dict[str, Any]) -> None:
        services.place_preference_set(
            actor=request.user,
            patient=patient,
            place_of_care=data.get("place_of_care", ""),
            place_of_death=data.get("place_of_death", ""),
            other_detail=data.get("other_detail", ""),
            support_plan=data.get("support_plan", ""),
            expected_version=data.get("version"),
        )

    return _act(request, patient_id, form, "place_form", act, "Preferred places recorded.")


@staff_view("acp.record")
@require_POST
def hospitalization(request: HttpRequest, patient_id: str) -> HttpResponse:
    """A stay told to the team, recorded in the episodes app (episodes/stays.py)."""
    form = StayForm(request.POST, prefix="stay")

    def act(patient: Any, data: dict[str, Any]) -> None:
        stays.stay_record(
            actor=request.user,
            patient=patient,
            kind=data["kind"],
            facility=data["facility"],
            admitted_at=data["admitted_at"],
            unit=data.get("unit", ""),
            icu=bool(data.get("icu")),
            reason=data.get("reason", ""),
            informant=data.get("informant", ""),
            discharged_at=data.get("discharged_at"),
            disposition=data.get("disposition", ""),
        )

    return _act(request, patient_id, form, "hospitalization_form", act, "Hospital stay recorded.")


@staff_view("acp.record")
@require_POST
def entered_in_error(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Mark one record wrong. The kind and id come in the body; the record must be this
    patient's (404 otherwise); the service decides who may void which kind of record."""
    user: Any = request.user
    kind = request.POST.get("kind", "")
    _, record = acp_record_get_for(user, patient_id, kind, request.POST.get("record_id", ""))
    form = forms.EnteredInErrorForm(request.POST)

    def act(patient: Any, data: dict[str, Any]) -> None:
        if isinstance(record, HospitalStay):
            stays.stay_mark_entered_in_error(actor=user, stay=record, reason=data["reason"])
            return
        services.acp_record_mark_entered_in_error(
            actor=user, patient=patient, record=record, reason=data["reason"]
        )

    return _act(request, patient_id, form, "error_form", act, "Marked as entered in error.")


# --- print, export, worklists ---------------------------------------------------------------


@staff_view("acp.view")
@require_GET
def summary_pdf(request: HttpRequest, patient_id: str) -> HttpResponse:
    context = acp_export_for(
        request.user, patient_id, action=Action.PRINT, event="acp.summary.print"
    )
    context["printed_at"] = clock.now()
    context["printed_by"] = request.user
    pdf = render_summary_pdf(context)
    patient = context["patient"]
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="advance-care-plan-{patient.mrn}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_view("acp.view")
@require_GET
def fhir_export(request: HttpRequest, patient_id: str) -> HttpResponse:
    context = acp_export_for(
        request.user, patient_id, action=Action.EXPORT, event="acp.fhir.export"
    )
    bundle = acp_bundle(context, download_url=_download_url(request))
    return HttpResponse(
        json.dumps(bundle, indent=2), content_type="application/fhir+json; charset=utf-8"
    )


def _download_url(request: HttpRequest) -> Callable[[Any], str]:
    def url(document: Any) -> str:
        return request.build_absolute_uri(
            reverse(
                "acp:document",
                kwargs={"patient_id": document.patient_id, "document_id": document.pk},
            )
        )

    return url


class WorklistQuery(params.QueryForm):
    list = params.ChoiceParam(
        label="List",
        initial="no-conversation",
        choices=[*WORKLISTS.items(), ("review", "Plans to review")],
    )
    page = params.PageParam()


@staff_view("acp.worklist")
@require_GET
def worklists(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(WorklistQuery, request.GET)
    kind = query["list"]
    page: Any
    if kind == "review":
        page = acp_review_page_for(user, query["page"])
    else:
        page = acp_worklist_page_for(user, kind, query["page"])
    return render(
        request,
        "acp/worklists.html",
        {
            "kind": kind,
            "page": page,
            "query": f"list={kind}",
            "lists": [*WORKLISTS.items(), ("review", "Plans to review")],
            "days": user.program.setting("acp_worklist_days"),
            "now": clock.now(),
        },
    )


__all__ = [
    "WorklistQuery",
    "agent_add",
    "agent_verify",
    "code_status_change",
    "conversation_addendum",
    "conversation_detail",
    "conversation_new",
    "conversation_sign",
    "document_download",
    "document_upload",
    "document_verify",
    "entered_in_error",
    "fhir_export",
    "hospitalization",
    "patient_acp",
    "place_preference",
    "portable_order",
    "summary_pdf",
    "treatment_preference",
    "worklists",
]

"""Goals-of-care and advance-care-planning pages: parse, call a service or selector, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.acp import forms, services
from pallio.acp.fhir import acp_bundle
from pallio.acp.models import AdvanceDirectiveDocument
from pallio.acp.pdf import render_summary_pdf
from pallio.acp.selectors import (
    WORKLISTS,
    acp_export_for,
    acp_page_for,
    acp_record_get_for,
    acp_review_page_for,
    acp_worklist_page_for,
    conversation_get_for,
    document_get_for,
)
from pallio.audit.models import Action
from pallio.core import access, clock, params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.uploads import upload_download_response
from pallio.core.validation import apply_service_errors
from pallio.episodes import stays
from pallio.episodes.models import HospitalStay
from pallio.episodes.stay_forms import StayForm
from pallio.patients.selectors import patient_get_for, patient_header_context


def _page_forms(context: dict[str, Any]) -> dict[str, Any]:
    """The page's empty forms, filled with what the user sees as current."""
    today = context["today"]
    current = context["current_code_status"]
    current_order = context["current_order"]
    place = context["place_preference"]
    treatment_forms = []
    for category, label, preference in context["treatment_rows"]:
        initial = (
            {
                "version": preference.version,
                "choice": preference.choice,
                "stated_on": preference.stated_on,
                "note": preference.note,
            }
            if preference
            else {"stated_on": today}
        )
        treatment_forms.append(
            (
                category,
                label,
                preference,
                forms.TreatmentPreferenceForm(initial=initial, prefix=category),
            )
        )
    return {
        "code_status_form": forms.CodeStatusForm(
            initial={"current_id": current.pk if current else "", "effective_date": today},
            prefix="cs",
        ),
        "order_form": forms.PortableOrderForm(
            initial={
                "current_id": current_order.pk if current_order else "",
                "effective_date": today,
            },
            prefix="order",
        ),
        "agent_form": forms.AgentForm(documents=context["documents"], prefix="agent"),
        "document_form": forms.DocumentForm(initial={"document_date": today}, prefix="document"),
        "place_form": forms.PlacePreferenceForm(
            initial={
                "version": place.version,
                "place_of_care": place.place_of_care,
                "place_of_death": place.place_of_death,
                "other_detail": place.other_detail,
                "support_plan": place.support_plan,
            }
            if place
            else {},
            prefix="place",
        ),
        "hospitalization_form": StayForm(prefix="stay"),
        "treatment_forms": treatment_forms,
        "error_form": forms.EnteredInErrorForm(),
    }


def _render_page(
    request: HttpRequest, patient_id: Any, *, status: int = 200, **bound: Any
) -> HttpResponse:
    user: Any = request.user
    context = acp_page_for(user, patient_id)
    context.update(_page_forms(context))
    if "treatment_form" in bound:
        category, form = bound.pop("treatment_form")
        context["treatment_forms"] = [
            (c, label, p, form if c == category else f)
            for c, label, p, f in context["treatment_forms"]
        ]
        context["open_panel"] = "treatment"
    context.update(bound)
    context["can_record"] = access.has_perm(user, "acp.record")
    current, current_order = context["current_code_status"], context["current_order"]
    context["can_code_status"] = privileges.can(
        user, "code_status.change" if current else "code_status.record"
    )
    context["can_order"] = privileges.can(
        user, "portable_order.change" if current_order else "portable_order.record"
    )
    if bound:
        context.setdefault("open_panel", next(iter(bound)))
    return render(request, "acp/patient.html", context, status=status)


def _act(
    request: HttpRequest,
    patient_id: Any,
    form: Any,
    form_name: str,
    act: Callable[[Any, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """Run one change from the page: on success back to the page; on refusal the page again
    with the form and its errors (400), or the conflict explained (409). Nothing is written
    when the change is refused."""
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
            messages.success(request, success)
            return redirect(reverse("acp:patient", kwargs={"patient_id": patient.pk}))
    return _render_page(request, patient.pk, status=status, **{form_name: form})


@staff_view("acp.view")
@require_GET
def patient_acp(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _render_page(request, patient_id)


# --- conversations --------------------------------------------------------------------------


@staff_view("acp.record")
@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, audit=request.method == "GET")
    if request.method == "POST":
        form = forms.ConversationForm(request.POST)
        if form.is_valid():
            try:
                conversation = services.conversation_create(
                    actor=user,
                    patient=patient,
                    data=form.to_input(),
                    sign=request.POST.get("action") == "sign",
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    "Conversation signed." if conversation.is_signed else "Draft saved.",
                )
                return redirect(
                    "acp:conversation", patient_id=patient.pk, conversation_id=conversation.pk
                )
    else:
        now = clock.now().astimezone(_zone(patient))
        form = forms.ConversationForm(initial={"held_at": now.replace(second=0, microsecond=0)})
    context = patient_header_context(user, patient)
    context.update({"form": form, "conversation": None})
    return render(
        request,
        "acp/conversation_form.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


def _zone(patient: Any) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(patient.program.timezone)


@staff_view("acp.view")
@require_http_methods(["GET", "POST"])
def conversation_detail(
    request: HttpRequest, patient_id: str, conversation_id: str
) -> HttpResponse:
    """A conversation; while it is a draft, its author (or any recorder) may edit it here."""
    user: Any = request.user
    context, conversation = conversation_get_for(
        user, patient_id, conversation_id, audit=request.method == "GET"
    )
    status = 200
    form = None
    if request.method == "POST":
        if not access.has_perm(user, "acp.record"):
            raise PermissionDenied
        if request.POST.get("action") == "sign":
            # Refused before the draft is saved, so a refused signature changes nothing.
            privileges.privilege_check(user, "goals_of_care.sign")
        form = forms.ConversationForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.conversation_update(
                    actor=user,
                    conversation=conversation,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_input(),
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if request.POST.get("action") == "sign":
                    try:
                        services.conversation_sign(
                            actor=user,
                            conversation=conversation,
                            expected_version=conversation.version,
                        )
                    except (ConflictError, ValidationError) as exc:
                        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                    else:
                        messages.success(request, "Conversation signed.")
                else:
                    messages.success(request, "Draft saved.")
                return redirect(
                    "acp:conversation",
                    patient_id=conversation.patient_id,
                    conversation_id=conversation.pk,
                )
        conversation.refresh_from_db()
    elif not conversation.is_signed and not conversation.entered_in_error:
        form = forms.ConversationForm(initial=forms.ConversationForm.initial_from(conversation))
    context.update(
        {
            "conversation": conversation,
            "form": form,
            "addendum_form": forms.AddendumForm(),
            "sign_form": forms.VersionForm(initial={"version": conversation.version}),
            "addenda": list(conversation.addenda.select_related("author")),
            "can_record": access.has_perm(user, "acp.record"),
        }
    )
    template = "acp/conversation_form.html" if form is not None else "acp/conversation.html"
    return render(request, template, context, status=status)


@staff_view("acp.record")
@require_POST
def conversation_sign(request: HttpRequest, patient_id: str, conversation_id: str) -> HttpResponse:
    user: Any = request.user
    _, conversation = conversation_get_for(user, patient_id, conversation_id, audit=False)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        return _conversation_refused(request, conversation, "Reload the page and sign again.", 400)
    try:
        services.conversation_sign(
            actor=user, conversation=conversation, expected_version=form.cleaned_data["version"]
        )
    except ConflictError as exc:
        return _conversation_refused(request, conversation, str(exc), 409)
    except ValidationError as exc:
        return _conversation_refused(request, conversation, " ".join(exc.messages), 400)
    messages.success(request, "Conversation signed.")
    return redirect(
        "acp:conversation", patient_id=conversation.patient_id, conversation_id=conversation.pk
    )


def _conversation_refused(
    request: HttpRequest, conversation: Any, message: str, status: int
) -> HttpResponse:
    user: Any = request.user
    context, conversation = conversation_get_for(
        user, conversation.patient_id, conversation.pk, audit=False
    )
    context.update(
        {
            "conversation": conversation,
            "form": None,
            "refusal": message,
            "addendum_form": forms.AddendumForm(),
            "sign_form": forms.VersionForm(initial={"version": conversation.version}),
            "addenda": list(conversation.addenda.select_related("author")),
            "can_record": access.has_perm(user, "acp.record"),
        }
    )
    return render(request, "acp/conversation.html", context, status=status)


@staff_view("acp.record")
@require_POST
def conversation_addendum(
    request: HttpRequest, patient_id: str, conversation_id: str
) -> HttpResponse:
    user: Any = request.user
    context, conversation = conversation_get_for(user, patient_id, conversation_id, audit=False)
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.conversation_addendum_add(
                actor=user,
                conversation=conversation,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Addendum added.")
            return redirect(
                "acp:conversation",
                patient_id=conversation.patient_id,
                conversation_id=conversation.pk,
            )
    context.update(
        {
            "conversation": conversation,
            "form": None,
            "addendum_form": form,
            "sign_form": forms.VersionForm(initial={"version": conversation.version}),
            "addenda": list(conversation.addenda.select_related("author")),
            "can_record": True,
        }
    )
    return render(request, "acp/conversation.html", context, status=400)


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

"""Pages of the 24/7 line: the on-call screen, taking a call, triage, callback, disposition,
a death reported by phone, and the program's triage protocols. Parse, call a service or
selector, render."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import clock, params, privileges
from pallio.core.access import has_perm, staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.patients.selectors import patient_get_for, patient_search_for
from pallio.support import forms, protocols, selectors, services
from pallio.support.models import Call, CallReason

SEARCH_LIMIT = 8


class NewCallQuery(params.QueryForm):
    q = params.TextParam(label="Search")
    patient = params.UUIDParam(label="Patient")


class CallQuery(params.QueryForm):
    protocol = django_forms.SlugField(label="Protocol", required=False, max_length=60)


def _search(user: Any, text: str) -> list[Any]:
    return list(patient_search_for(user, text, limit=SEARCH_LIMIT)) if text.strip() else []


@staff_view("support.calls")
@require_GET
def on_call_screen(request: HttpRequest) -> HttpResponse:
    context = selectors.on_call_screen_for(request.user)
    context["can_take_call"] = privileges.can(request.user, "call.record")
    return render(request, "support/on_call_screen.html", context)


@staff_view("support.calls")
@require_GET
def patient_search(request: HttpRequest) -> HttpResponse:
    """The short list under the search field, as the nurse types (htmx)."""
    query = params.parse(NewCallQuery, request.GET)
    text = query["q"] or ""
    return render(
        request,
        "support/_call_patient_results.html",
        {"results": _search(request.user, text), "q": text},
    )


@staff_view("support.calls")
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(NewCallQuery, request.GET)
    text = query["q"] or ""
    status = 200
    patient = None
    patient_id = request.POST.get("patient") if request.method == "POST" else query["patient"]
    if request.method == "POST":
        privileges.privilege_check(user, "call.record")
        form = forms.CallForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                call = services.call_record(actor=user, data=form.to_input())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Call recorded. Triage it below.")
                return redirect("support:call", call_id=call.pk)
        if patient_id:
            try:
                patient = patient_get_for(user, patient_id, audit=False)
            except Http404:
                patient = None
    else:
        initial: dict[str, Any] = {"received_at": clock.now().replace(second=0, microsecond=0)}
        if patient_id:
            patient = patient_get_for(user, patient_id, event="call.patient")
            initial["patient"] = patient.pk
        form = forms.CallForm(initial=initial)
    context: dict[str, Any] = {
        "form": form,
        "q": text,
        "results": _search(user, text) if not patient else [],
        "patient": patient,
    }
    if patient is not None:
        context["facts"] = selectors.call_chart_facts(patient)
    return render(request, "support/call_new.html", context, status=status)


def _call_context(request: HttpRequest, call: Call, protocol_key: str = "") -> dict[str, Any]:
    user: Any = request.user
    key = protocol_key or call.protocol_key or _default_protocol(call)
    available = protocols.for_program(user.program)
    protocol = available.get(key)
    context: dict[str, Any] = {
        "call": call,
        "patient": call.patient,
        "protocols": list(available.values()),
        "protocol": protocol,
        "hit_flags": [
            f
            for f in (protocol.red_flags if protocol else ())
            if f.id in call.triage.get("red_flags", [])
        ]
        if protocol and call.protocol_key == protocol.key
        else [],
        "can_record": privileges.can(user, "call.record"),
        "can_dispose": privileges.can(user, "call.dispose"),
        "can_death": privileges.can(user, "death.record"),
        "death_report": getattr(call, "death_report", None) if _has_death(call) else None,
    }
    if call.patient is not None:
        context["facts"] = selectors.call_chart_facts(call.patient)
    if protocol is not None:
        initial: dict[str, Any] = {"version": call.version, "protocol": protocol.key}
        if call.protocol_key == protocol.key:
            for qid, value in call.triage.get("answers", {}).items():
                initial[f"q_{qid}"] = value
            initial["red_flags"] = call.triage.get("red_flags", [])
            for item, value in call.triage.get("esas", {}).items():
                initial[f"esas_{item}"] = value
        context["triage_form"] = forms.TriageForm(
            initial=initial, protocol=protocol, caller_kind=call.caller_kind
        )
    context["callback_form"] = forms.CallbackForm(initial={"version": call.version})
    context["disposition_form"] = forms.DispositionForm(
        initial={"version": call.version},
        choices=services.allowed_dispositions(user.program, call),
    )
    context["death_form"] = forms.DeathForm()
    return context


def _has_death(call: Call) -> bool:
    from pallio.support.models import DeathReport

    return DeathReport.objects.filter(call=call).exists()


def _default_protocol(call: Call) -> str:
    if call.reason == CallReason.DEATH:
        return "expected-death"
    if call.reason == CallReason.CAREGIVER:
        return "caregiver-crisis"
    return ""


@staff_view("support.calls")
@require_GET
def call_detail(request: HttpRequest, call_id: str) -> HttpResponse:
    query = params.parse(CallQuery, request.GET)
    call = selectors.call_get_for(request.user, call_id)
    context = _call_context(request, call, query["protocol"] or "")
    return render(request, "support/call_detail.html", context)


def _rerender(request: HttpRequest, call: Call, status: int, **bound: Any) -> HttpResponse:
    call.refresh_from_db()
    key = bound.pop("protocol_key", "")
    context = _call_context(request, call, key)
    context.update(bound)
    return render(request, "support/call_detail.html", context, status=status)


@staff_view("support.calls")
@require_POST
def call_triage(request: HttpRequest, call_id: str) -> HttpResponse:
    user: Any = request.user
    call = selectors.call_get_for(user, call_id, audit=False)
    privileges.privilege_check(user, "call.record")
    protocol = protocols.get(user.program, str(request.POST.get("protocol", ""))[:60])
    if protocol is None:
        messages.error(request, "Choose one of the program's protocols.")
        return _rerender(request, call, 400)
    form = forms.TriageForm(request.POST, protocol=protocol, caller_kind=call.caller_kind)
    status = 400
    if form.is_valid():
        try:
            services.call_triage_record(
                actor=user,
                call=call,
                expected_version=form.cleaned_data.get("version"),
                data=form.to_input(),
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if call.red_flag:
                messages.warning(request, "Red flag: follow the recommendation shown.")
            else:
                messages.success(request, "Triage saved.")
            return redirect("support:call", call_id=call.pk)
    return _rerender(request, call, status, triage_form=form, protocol_key=protocol.key)


@staff_view("support.calls")
@require_POST
def call_callback(request: HttpRequest, call_id: str) -> HttpResponse:
    user: Any = request.user
    call = selectors.call_get_for(user, call_id, audit=False)
    privileges.privilege_check(user, "call.record")
    form = forms.CallbackForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.call_callback_record(
                actor=user,
                call=call,
                expected_version=form.cleaned_data.get("version"),
                called_back_at=form.cleaned_data.get("called_back_at"),
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Callback recorded.")
            return redirect("support:call", call_id=call.pk)
    return _rerender(request, call, status, callback_form=form)


@staff_view("support.calls")
@require_POST
def call_disposition(request: HttpRequest, call_id: str) -> HttpResponse:
    user: Any = request.user
    call = selectors.call_get_for(user, call_id, audit=False)
    privileges.privilege_check(user, "call.dispose")
    form = forms.DispositionForm(
        request.POST, choices=services.allowed_dispositions(user.program, call)
    )
    status = 400
    if form.is_valid():
        try:
            services.call_dispose(
                actor=user,
                call=call,
                expected_version=form.cleaned_data.get("version"),
                disposition=form.cleaned_data["disposition"],
                disposition_at=form.cleaned_data.get("disposition_at"),
                note=form.cleaned_data["note"],
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Disposition recorded; the call is closed.")
            return redirect("support:call", call_id=call.pk)
    return _rerender(request, call, status, disposition_form=form)


@staff_view("support.calls")
@require_POST
def call_death(request: HttpRequest, call_id: str) -> HttpResponse:
    user: Any = request.user
    call = selectors.call_get_for(user, call_id, audit=False)
    privileges.privilege_check(user, "death.record")
    form = forms.DeathForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.death_report_record(actor=user, call=call, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                "Death recorded: the patient's open work is closed and the team lead has a task.",
            )
            return redirect("support:call", call_id=call.pk)
    return _rerender(request, call, status, death_form=form)


# --- the program's protocols ----------------------------------------------------------------


@staff_view("support.calls")
@require_GET
def protocol_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "support/call_protocols.html",
        {
            "protocols": list(protocols.for_program(user.program).values()),
            "can_edit": has_perm(user, "support.protocols"),
        },
    )


@staff_view("support.protocols")
@require_http_methods(["GET", "POST"])
def protocol_edit(request: HttpRequest, key: str) -> HttpResponse:
    """The medical director's editor: paste or upload the program's version; a bad file is
    refused with every problem named and changes nothing."""
    import json

    user: Any = request.user
    current = protocols.for_program(user.program).get(key)
    if current is None:
        raise Http404("No such protocol")
    status = 200
    if request.method == "POST":
        form = forms.ProtocolForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                services.triage_protocol_save(actor=user, key=key, raw=form.raw())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"The program's version of “{current.title}” is saved.")
                return redirect("support:protocol_edit", key=key)
    else:
        from pallio.support.models import TriageProtocol

        own = TriageProtocol.objects.filter(program_id=user.program_id, key=key).first()
        content = own.content if own else protocols.shipped_json(key)
        form = forms.ProtocolForm(
            initial={"content": json.dumps(content, indent=2, ensure_ascii=False)}
        )
    return render(
        request,
        "support/call_protocol_edit.html",
        {"form": form, "protocol": current},
        status=status,
    )

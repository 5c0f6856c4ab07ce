"""The review queue of hospital messages: list, one message, match-and-apply, dismiss."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.core import params
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check
from pallio.core.validation import apply_service_errors
from pallio.patients.models import Patient

from . import selectors, services
from .forms import DismissForm, MatchForm
from .hl7v2 import STAY_KIND_WORDS, AdtParseError
from .matching import candidates_for


class QueueQuery(params.QueryForm):
    tab = params.ChoiceParam(
        label="List", initial="open", choices=list(selectors.QUEUE_TABS.items())
    )
    page = params.PageParam()


@staff_view("adt.review")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(QueueQuery, request.GET)
    tab = query["tab"] or "open"
    page = selectors.adt_queue_page_for(user, tab, query["page"])
    return render(
        request,
        "adt/queue.html",
        {
            "tab": tab,
            "tabs": list(selectors.QUEUE_TABS.items()),
            "page": page,
            "query": f"tab={tab}",
        },
    )


def _candidate_choices(message: Any, event: Any) -> tuple[list[Any], list[tuple[str, str]]]:
    candidates: list[Any] = []
    if event is not None:
        candidates = [
            (patient, result)
            for patient, result in candidates_for(program_id=message.program_id, event=event)
        ]
    if message.patient is not None and all(p.pk != message.patient_id for p, _ in candidates):
        candidates.insert(0, (message.patient, None))
    choices = [
        (str(p.pk), f"{p.full_name}, born {p.birth_date:%-d %b %Y}, record number {p.mrn}")
        for p, _ in candidates
    ]
    return candidates, choices


def _render_message(
    request: HttpRequest, message: Any, *, status: int = 200, **bound: Any
) -> HttpResponse:
    event, problem = None, ""
    try:
        event = services.parse_for(message.program, message.raw)
    except AdtParseError as error:
        problem = error.message
    candidates, choices = _candidate_choices(message, event)
    initial = {"version": message.version}
    context = {
        "message": message,
        "event": event,
        "stay_kind": STAY_KIND_WORDS.get(event.stay_kind, "") if event else "",
        "problem": problem,
        "candidates": candidates,
        "match_form": bound.get("match_form") or MatchForm(initial=initial, choices=choices),
        "dismiss_form": bound.get("dismiss_form") or DismissForm(initial=initial),
        "can_apply": event is not None,
    }
    return render(request, "adt/message.html", context, status=status)


@staff_view("adt.review")
@require_GET
def message_detail(request: HttpRequest, message_id: str) -> HttpResponse:
    message = selectors.adt_message_get_for(request.user, message_id)
    return _render_message(request, message)


def _chosen_patient(message: Any, data: dict[str, Any]) -> Patient | None:
    patients = Patient.objects.filter(program_id=message.program_id, entered_in_error=False)
    if data.get("patient"):
        return patients.filter(pk=data["patient"]).first()
    return patients.filter(mrn=data["record_number"].strip()).first()


# The POST views are open to the program's staff so that a refusal says who may act
# (the service's privilege check, adt_message.resolve); only the message's id is looked up.
@staff_view()
@require_POST
def message_match(request: HttpRequest, message_id: str) -> HttpResponse:
    user: Any = request.user
    message = selectors.adt_message_get_for(user, message_id, audit=False)
    # Refuse before anything of the message is shown (the service checks again).
    privilege_check(user, "adt_message.resolve")
    try:
        event = services.parse_for(message.program, message.raw)
    except AdtParseError:
        event = None
    _, choices = _candidate_choices(message, event)
    form = MatchForm(request.POST, choices=choices)
    status = 400
    if form.is_valid():
        patient = _chosen_patient(message, form.cleaned_data)
        if patient is None:
            form.add_error("record_number", "No patient of this program has that record number.")
        else:
            try:
                services.adt_message_apply(
                    actor=user,
                    message=message,
                    patient=patient,
                    expected_version=form.cleaned_data["version"],
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Message applied to {patient.full_name}.")
                return redirect(reverse("adt:message", kwargs={"message_id": message.pk}))
    message.refresh_from_db()
    return _render_message(request, message, status=status, match_form=form)


@staff_view()
@require_POST
def message_dismiss(request: HttpRequest, message_id: str) -> HttpResponse:
    user: Any = request.user
    message = selectors.adt_message_get_for(user, message_id, audit=False)
    privilege_check(user, "adt_message.resolve")
    form = DismissForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.adt_message_dismiss(
                actor=user,
                message=message,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Message dismissed.")
            return redirect(reverse("adt:queue"))
    message.refresh_from_db()
    return _render_message(request, message, status=status, dismiss_form=form)

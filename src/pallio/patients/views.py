"""The patient chart, patient search, and break-the-glass."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, params
from pallio.core.access import staff_view
from pallio.episodes.services import break_glass_grant
from pallio.patients.chart_sections import chart_page_for
from pallio.patients.selectors import (
    patient_exists_in_program,
    patient_search_for,
)
from pallio.patients.timeline import TimelineKind, timeline_page_for, timeline_query_parse
from pallio.referrals.forms import BreakGlassForm


@staff_view("patient.search")
@require_GET
def chart(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    try:
        context = chart_page_for(user, patient_id)
    except Http404:
        # Break-the-glass is offered only to those entitled to it, and only for a patient
        # of their own program; the page says nothing about the patient either way.
        if access.has_perm(user, "patient.break_glass") and patient_exists_in_program(
            user, patient_id
        ):
            return render(
                request,
                "patients/not_on_team.html",
                {"patient_id": patient_id, "form": BreakGlassForm()},
                status=404,
            )
        raise
    context["can_reconcile"] = access.has_perm(user, "medication.record")
    return render(request, "patients/chart.html", context)


@staff_view("patient.break_glass")
@require_http_methods(["POST"])
def break_glass(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_exists_in_program(user, patient_id)
    if patient is None:
        raise Http404("No such patient")
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            break_glass_grant(actor=user, patient=patient, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("reason", message)
        else:
            messages.warning(
                request,
                "Emergency access granted for a limited time. "
                "This access is recorded and the team is told.",
            )
            return redirect("patients:chart", patient_id=patient.pk)
    return render(
        request, "patients/not_on_team.html", {"patient_id": patient_id, "form": form}, status=400
    )


@staff_view("patient.search")
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    text = params.parse(params.SearchQuery, request.GET)["q"]
    results = list(patient_search_for(user, text)) if text else []
    if text:
        audit_record(
            actor=user, action=Action.READ, event="patient.search", detail={"results": len(results)}
        )
    return render(request, "patients/search.html", {"q": text, "results": results})


@staff_view("patient.search")
@require_GET
def timeline(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Everything that happened to the patient, newest first, filtered by kind and dates."""
    filters = timeline_query_parse(request.GET)
    context = timeline_page_for(request.user, patient_id, filters)
    kept = QueryDict(mutable=True)
    for kind in filters["kind"]:
        kept.appendlist("kind", kind)
    for name in ("since", "until"):
        if filters[name]:
            kept[name] = filters[name].isoformat()
    context["filter_query"] = kept.urlencode()
    context["kind_choices"] = TimelineKind.choices
    context["chosen_kinds"] = filters["kind"]
    return render(request, "patients/timeline.html", context)

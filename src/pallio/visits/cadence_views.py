"""Cadence and external-appointment pages: set how often a discipline visits, enter or cancel
the patient's appointment elsewhere (from the patient's visits page), and the list of
patients whose visits are overdue. Parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import params, privileges
from pallio.core.access import staff_view
from pallio.core.validation import apply_service_errors
from pallio.patients.selectors import patient_get_for, patient_header_context
from pallio.visits import cadence_forms as forms
from pallio.visits import cadence_selectors as selectors
from pallio.visits.cadence_models import ExternalAppointment
from pallio.visits.models import FACILITY_SETTINGS, Place
from pallio.visits.services import cadence as services


@staff_view("visit.view")
@require_http_methods(["GET", "POST"])
def cadence_set(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="visit_cadence.form")
    privileges.privilege_check(user, "schedule.book")
    status = 200
    if request.method == "POST":
        form = forms.CadenceForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.cadence_set(actor=user, patient=patient, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Visit cadence saved.")
                return redirect("visits:patient", patient_id=patient.pk)
    else:
        form = forms.CadenceForm(initial={"discipline": user.discipline or ""})
    context = patient_header_context(user, patient)
    context.update({"form": form, "cadences": selectors.cadences_of(patient)})
    return render(request, "visits/cadence_form.html", context, status=status)


def _facilities(patient: Any) -> list[Place]:
    return [
        p
        for p in Place.objects.filter(
            program_id=patient.program_id, patient__isnull=True, active=True
        ).order_by("setting", "name")
        if p.setting in FACILITY_SETTINGS
    ]


@staff_view("visit.view")
@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="external_appointment.form")
    privileges.privilege_check(user, "schedule.book")
    places = _facilities(patient)
    status = 200
    if request.method == "POST":
        form = forms.AppointmentForm(request.POST, places=places)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if data.get("place") and form.place_obj() is None:
                form.add_error("place", "This site is not known. Choose one from the list.")
            else:
                try:
                    services.appointment_record(
                        actor=user,
                        patient=patient,
                        kind=data["kind"],
                        place=form.place_obj(),
                        site=data["site"],
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        description=data["description"],
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, "Appointment added to the patient's schedule.")
                    return redirect("visits:patient", patient_id=patient.pk)
    else:
        form = forms.AppointmentForm(places=places)
    context = patient_header_context(user, patient)
    context["form"] = form
    return render(request, "visits/appointment_form.html", context, status=status)


@staff_view("visit.view")
@require_POST
def appointment_cancel(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="external_appointment.form")
    privileges.privilege_check(user, "schedule.cancel")
    form = forms.AppointmentCancelForm(request.POST)
    if not form.is_valid():
        problems = [str(m) for errors in form.errors.values() for m in errors]
        messages.error(request, "The appointment was not cancelled: " + " ".join(problems))
        return redirect("visits:patient", patient_id=patient.pk)
    appointment = ExternalAppointment.objects.filter(
        pk=form.cleaned_data["appointment"], patient=patient
    ).first()
    if appointment is None:
        raise Http404("No such appointment")
    try:
        services.appointment_cancel(
            actor=user, appointment=appointment, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Appointment cancelled.")
    return redirect("visits:patient", patient_id=patient.pk)


@staff_view("visit.view")
@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(forms.OverdueQuery, request.GET)
    page = selectors.overdue_page_for(
        user, discipline=query["discipline"], mine=query["mine"] == "1", page=query["page"]
    )
    filters = {k: v for k, v in (("discipline", query["discipline"]), ("mine", query["mine"])) if v}
    context = {
        "page": page,
        "filter_form": forms.OverdueQuery(initial=filters),
        "query": urlencode(filters),
        "can_book": privileges.can(user, "schedule.book"),
    }
    return render(request, "visits/overdue.html", context)

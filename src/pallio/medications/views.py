"""The medication list page: add, stop, and the total daily MME. No dose is ever proposed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import params
from pallio.core.access import has_perm, staff_view
from pallio.core.models import ConflictError
from pallio.medications import forms, selectors, services
from pallio.patients.selectors import patient_get_for


@staff_view("medication.view")
@require_http_methods(["GET", "POST"])
def medication_list(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    form = forms.MedicationForm()
    status = 200
    if request.method == "POST":
        patient = patient_get_for(user, patient_id, event="medication.form")
        if not has_perm(user, "medication.record"):
            raise PermissionDenied
        form = forms.MedicationForm(request.POST)
        if form.is_valid():
            data = services.MedicationInput(**form.medication_input())  # type: ignore[arg-type]
            try:
                services.medication_add(
                    actor=user,
                    patient=patient,
                    data=data,
                    confirm_high_dose_reason=form.high_dose_reason(),
                )
            except ValidationError as exc:
                if services.CONFIRM_HIGH_DOSE in exc.message_dict:
                    form.show_confirm = True
                for name, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(request, "Medication added.")
                return redirect("medications:list", patient_id=patient.pk)
        status = 400
    context = selectors.medication_list_for(user, patient_id)
    context["form"] = form
    return render(request, "medications/list.html", context, status=status)


@staff_view("medication.record")
@require_POST
def medication_stop(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="medication.form")
    form = forms.StopForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the medication to stop.")
        return redirect("medications:list", patient_id=patient.pk)
    statement = selectors.statement_get_for(user, patient, form.cleaned_data["statement"])
    try:
        services.medication_stop(
            actor=user,
            statement=statement,
            expected_version=form.cleaned_data["version"],
            entered_in_error=form.cleaned_data["entered_in_error"],
        )
    except (ConflictError, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, f"{statement.display} stopped.")
    return redirect("medications:list", patient_id=patient.pk)


@staff_view("medication.view")
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """Medications Pallio did not recognise, for a pharmacist's review, oldest first."""
    user: Any = request.user
    page = selectors.review_page_for(user, params.page_of(request.GET))
    return render(
        request,
        "medications/review.html",
        {"page": page, "review_form": forms.ReviewForm()},
    )


@staff_view("medication.view")
@require_POST
def review_mark(request: HttpRequest) -> HttpResponse:
    """Mark one medication of the review list reviewed (the statement is in the form)."""
    user: Any = request.user
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        if "statement" in form.errors:
            raise Http404("No such medication")
        messages.error(request, form.errors["note"].as_text().lstrip("* "))
        return redirect("medications:review")
    statement = selectors.review_statement_get_for(user, form.cleaned_data["statement"])
    try:
        services.medication_review(actor=user, statement=statement, note=form.cleaned_data["note"])
    except (ConflictError, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, f"{statement.display} marked reviewed.")
    return redirect("medications:review")

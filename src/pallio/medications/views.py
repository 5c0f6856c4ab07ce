"""The medication list page: add, stop, and the total daily MME. No dose is ever proposed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import params
from pallio.core.access import has_perm, staff_view
from pallio.core.models import ConflictError
from pallio.medications import allergies, forms, selectors, services
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
    return _render_list(request, patient_id, form=form, status=status)


def _render_list(
    request: HttpRequest,
    patient_id: Any,
    *,
    form: Any = None,
    allergy_form: Any = None,
    end_form: Any = None,
    end_for: Any = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    context = selectors.medication_list_for(user, patient_id)
    context["form"] = form or forms.MedicationForm()
    context["allergy_form"] = allergy_form or forms.AllergyForm(prefix="allergy")
    context["end_form"] = end_form
    context["end_for"] = end_for
    return render(request, "medications/list.html", context, status=status)


def _apply(form: Any, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


@staff_view("medication.view")
@require_POST
def allergy_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="allergy.form")
    form = forms.AllergyForm(request.POST, prefix="allergy")
    if form.is_valid():
        try:
            allergy = allergies.allergy_record(actor=user, patient=patient, **form.cleaned_data)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, f"{allergy.substance} added to the allergy list.")
            return redirect(reverse("medications:list", kwargs={"patient_id": patient.pk}))
    return _render_list(request, patient.pk, allergy_form=form, status=400)


@staff_view("medication.view")
@require_POST
def allergy_none_known(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="allergy.form")
    try:
        allergies.allergy_none_known_record(actor=user, patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Recorded: no known allergies.")
    return redirect(reverse("medications:list", kwargs={"patient_id": patient.pk}))


@staff_view("medication.view")
@require_POST
def allergy_end(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="allergy.form")
    form = forms.AllergyEndForm(request.POST, prefix="end")
    if not form.is_valid():
        if "allergy" in form.errors or "version" in form.errors:
            raise Http404("No such allergy")
        allergy = selectors.allergy_get_for(patient, form.cleaned_data["allergy"])
        return _render_list(request, patient.pk, end_form=form, end_for=allergy.pk, status=400)
    allergy = selectors.allergy_get_for(patient, form.cleaned_data["allergy"])
    try:
        allergies.allergy_end(
            actor=user,
            allergy=allergy,
            expected_version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _apply(form, exc)
        return _render_list(request, patient.pk, end_form=form, end_for=allergy.pk, status=400)
    else:
        messages.success(request, f"{allergy} taken off the allergy list.")
    return redirect(reverse("medications:list", kwargs={"patient_id": patient.pk}))


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

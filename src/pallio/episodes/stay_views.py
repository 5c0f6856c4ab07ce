"""Hospital-stay pages: a patient's stays, one stay (transfer, discharge, what was done), and
the team's list of reviews of care that differed from the person's wishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.core import params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.episodes import stays
from pallio.episodes.stay_forms import (
    CorrectionForm,
    DischargeForm,
    EnteredInErrorForm,
    ReviewForm,
    StayForm,
    TransferForm,
    TreatmentsForm,
)
from pallio.episodes.stay_reviews import stay_review_record
from pallio.episodes.stay_selectors import (
    stay_get_for,
    stay_review_get_for,
    stay_reviews_page_for,
    stays_for,
)
from pallio.patients.selectors import patient_get_for, patient_header_context

REVIEW_SHOW = {"open": "Waiting for the team", "reviewed": "Reviewed", "all": "All"}


def _run(form: Any, act: Callable[[dict[str, Any]], Any]) -> int | None:
    """Run a change: None on success, else the status to answer with (the form holds why)."""
    if not form.is_valid():
        return 400
    try:
        act(form.cleaned_data)
    except ConflictError as exc:
        form.add_error(None, str(exc))
        return 409
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return 400
    return None


# --- a patient's stays ----------------------------------------------------------------------


def _patient_page(request: HttpRequest, patient_id: Any, *, status: int = 200, **bound: Any):
    user: Any = request.user
    context = stays_for(user, patient_id)
    context["stay_form"] = bound.get("stay_form") or StayForm(prefix="stay")
    context["open_form"] = bool(bound)
    context["can_record"] = privileges.can(user, "stay.record")
    return render(request, "episodes/stays.html", context, status=status)


@staff_view("stay.view")
@require_GET
def patient_stays(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _patient_page(request, patient_id)


@staff_view("stay.record")
@require_POST
def stay_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, audit=False)
    form = StayForm(request.POST, prefix="stay")
    created: list[Any] = []

    def act(data: dict[str, Any]) -> None:
        created.append(
            stays.stay_record(
                actor=user,
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
        )

    status = _run(form, act)
    if status is None:
        messages.success(request, "Stay recorded.")
        return redirect(
            reverse("stays:stay", kwargs={"patient_id": patient.pk, "stay_id": created[0].pk})
        )
    return _patient_page(request, patient.pk, status=status, stay_form=form)


# --- one stay -------------------------------------------------------------------------------


CORRECTABLE = ("kind", "facility", "unit", "admitted_at", "discharged_at", "reason")


def _correction_form(stay: Any, data: Any = None) -> CorrectionForm:
    initial = {name: getattr(stay, name) for name in CORRECTABLE}
    initial["version"] = stay.version
    # Prefixed: the move and discharge forms on the same page have fields of the same names.
    return CorrectionForm(
        data, initial=initial, prefix="fix", discharged=stay.discharged_at is not None
    )


def _stay_page(
    request: HttpRequest, patient_id: Any, stay_id: Any, *, status: int = 200, **bound: Any
) -> HttpResponse:
    user: Any = request.user
    patient, stay = stay_get_for(user, patient_id, stay_id)
    version = {"version": stay.version}
    context = {
        **patient_header_context(user, patient),
        "stay": stay,
        "transfer_form": bound.get("transfer_form") or TransferForm(initial=version),
        "discharge_form": bound.get("discharge_form") or DischargeForm(initial=version),
        "treatments_form": bound.get("treatments_form")
        or TreatmentsForm(
            initial={**version, "intubated": stay.intubated, "cpr_performed": stay.cpr_performed}
        ),
        "correction_form": bound.get("correction_form") or _correction_form(stay),
        "error_form": bound.get("error_form") or EnteredInErrorForm(),
        "open_panel": next(iter(bound), ""),
        "can_record": privileges.can(user, "stay.record"),
        "can_void": privileges.can(user, "stay.void"),
    }
    return render(request, "episodes/stay.html", context, status=status)


def _stay_change(
    request: HttpRequest,
    patient_id: str,
    stay_id: str,
    form: Any,
    form_name: str,
    act: Callable[[Any, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    user: Any = request.user
    patient, stay = stay_get_for(user, patient_id, stay_id, audit=False)
    status = _run(form, lambda data: act(stay, data))
    if status is None:
        messages.success(request, success)
        return redirect(
            reverse("stays:stay", kwargs={"patient_id": patient.pk, "stay_id": stay.pk})
        )
    return _stay_page(request, patient.pk, stay.pk, status=status, **{form_name: form})


@staff_view("stay.view")
@require_GET
def stay_detail(request: HttpRequest, patient_id: str, stay_id: str) -> HttpResponse:
    return _stay_page(request, patient_id, stay_id)


def _stale(stay: Any, data: dict[str, Any]) -> None:
    expected = data.get("version")
    if expected is not None and expected != stay.version:
        raise ConflictError(stays.STALE_MESSAGE)


@staff_view("stay.record")
@require_POST
def stay_transfer(request: HttpRequest, patient_id: str, stay_id: str) -> HttpResponse:
    def act(stay: Any, data: dict[str, Any]) -> None:
        _stale(stay, data)
        stays.stay_transfer(
            actor=request.user, stay=stay, unit=data["unit"], icu=data["icu"], at=data["at"]
        )

    form = TransferForm(request.POST)
    return _stay_change(request, patient_id, stay_id, form, "transfer_form", act, "Move recorded.")


@staff_view("stay.record")
@require_POST
def stay_discharge(request: HttpRequest, patient_id: str, stay_id: str) -> HttpResponse:
    def act(stay: Any, data: dict[str, Any]) -> None:
        _stale(stay, data)
        stays.stay_discharge(
            actor=request.user,
            stay=stay,
            discharged_at=data["discharged_at"],
            disposition=data["disposition"],
        )

    form = DischargeForm(request.POST)
    return _stay_change(
        request, patient_id, stay_id, form, "discharge_form", act, "Discharge recorded."
    )


@staff_view("stay.record")
@require_POST
def stay_treatments(request: HttpRequest, patient_id: str, stay_id: str) -> HttpResponse:
    def act(stay: Any, data: dict[str, Any]) -> None:
        stays.stay_update(
            actor=request.user,
            stay=stay,
            intubated=data["intubated"],
            cpr_performed=data["cpr_performed"],
            expected_version=data.get("version"),
        )

    form = TreatmentsForm(request.POST)
    return _stay_change(request, patient_id, stay_id, form, "treatments_form", act, "Saved.")


@staff_view("stay.record")
@require_POST
def stay_correct(request: HttpRequest, patient_id: str, stay_id: str) -> HttpResponse:
    user: Any = request.user
    _patient, stay = stay_get_for(user, patient_id, stay_id, audit=False)

    def act(stay: Any, data: dict[str, Any]) -> None:
        stays.stay_update(
            actor=user,
            stay=stay,
            expected_version=data.get("version"),
            **{name: data[name] for name in CORRECTABLE if name in data},
        )

    form = _correction_form(stay, request.POST)
    return _stay_change(
        request, patient_id, stay_id, form, "correction_form", act, "Stay corrected."
    )


@staff_view("stay.record")
@require_POST
def stay_entered_in_error(request: HttpRequest, patient_id: str, stay_id: str) -> HttpResponse:
    def act(stay: Any, data: dict[str, Any]) -> None:
        stays.stay_mark_entered_in_error(actor=request.user, stay=stay, reason=data["reason"])

    form = EnteredInErrorForm(request.POST)
    return _stay_change(
        request, patient_id, stay_id, form, "error_form", act, "Marked as entered in error."
    )


# --- the team's reviews ---------------------------------------------------------------------


class ReviewQuery(params.QueryForm):
    show = params.ChoiceParam(choices=list(REVIEW_SHOW.items()), label="Show")
    page = params.PageParam()


def _reviews_page(
    request: HttpRequest, *, status: int = 200, failed: Any = None, form: Any = None
) -> HttpResponse:
    user: Any = request.user
    query = params.parse(ReviewQuery, request.GET)
    show = query["show"] or "open"
    page = stay_reviews_page_for(user, page=query["page"], show=show)
    rows = [
        (review, form if failed == review.pk else ReviewForm(prefix=str(review.pk)))
        for review in page.object_list
    ]
    return render(
        request,
        "episodes/stay_reviews.html",
        {
            "page": page,
            "rows": rows,
            "show": show,
            "tabs": list(REVIEW_SHOW.items()),
            "failed": failed,
            "can_review": privileges.can(user, "stay_review.record"),
        },
        status=status,
    )


@staff_view("stay.view")
@require_GET
def stay_reviews(request: HttpRequest) -> HttpResponse:
    return _reviews_page(request)


@staff_view("stay.record")
@require_POST
def stay_review(request: HttpRequest, review_id: str) -> HttpResponse:
    user: Any = request.user
    review = stay_review_get_for(user, review_id)
    form = ReviewForm(request.POST, prefix=str(review.pk))
    status = _run(
        form, lambda data: stay_review_record(actor=user, review=review, note=data["note"])
    )
    if status is None:
        messages.success(request, "Review recorded.")
        return redirect(reverse("stays:reviews") + "?show=reviewed")
    return _reviews_page(request, status=status, failed=review.pk, form=form)

"""Coordination pages: the program's directory of agencies, a patient's orders and
outbound referrals, and the care coordinator's worklist of open orders. Parse, call a
service or selector, render. A refused change shows the page again with the form and its
errors (400) or the conflict explained (409); nothing is written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.coordination import selectors, services
from pallio.coordination.forms import AgencyForm, DirectorySearchForm, OrderForm, OrderStatusForm
from pallio.core import params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors

# --- the directory ---------------------------------------------------------------------------


@staff_view("directory.view")
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(DirectorySearchForm, request.GET)
    form = DirectorySearchForm(initial=query)
    agencies = list(
        selectors.agencies_search(
            user,
            kind=query.get("kind", ""),
            area=query.get("area", ""),
            name=query.get("name", ""),
            include_inactive=bool(query.get("inactive")),
        )[: selectors.DIRECTORY_LIMIT]
    )
    return render(
        request,
        "coordination/directory.html",
        {
            "form": form,
            "agencies": agencies,
            "searched": any(query.values()),
            "can_manage": services.may_manage_directory(user),
        },
    )


def _agency_input(data: dict[str, Any]) -> services.AgencyInput:
    return services.AgencyInput(
        kind=data["kind"],
        name=data["name"],
        phone=data["phone"],
        email=data["email"],
        address=data["address"],
        areas=data["areas"],
        notes=data["notes"],
        active=bool(data["active"]),
    )


@staff_view("directory.view")
@require_http_methods(["GET", "POST"])
def agency_add(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    services.directory_manage_check(user)
    form = AgencyForm(request.POST or None, initial={"active": True})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                agency = services.agency_create(actor=user, data=_agency_input(form.cleaned_data))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{agency.name} is in the directory.")
                return redirect("coordination:directory")
    return render(
        request, "coordination/agency_form.html", {"form": form, "agency": None}, status=status
    )


@staff_view("directory.view")
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, agency_id: str) -> HttpResponse:
    user: Any = request.user
    agency = selectors.agency_get_for(user, agency_id)
    services.directory_manage_check(user)
    initial = {
        "version": agency.version,
        "kind": agency.kind,
        "name": agency.name,
        "phone": agency.phone,
        "email": agency.email,
        "address": agency.address,
        "areas": agency.areas,
        "notes": agency.notes,
        "active": agency.active,
    }
    form = AgencyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.agency_update(
                    actor=user,
                    agency=agency,
                    data=_agency_input(form.cleaned_data),
                    expected_version=form.cleaned_data["version"],
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{agency.name} is saved.")
                return redirect("coordination:directory")
    return render(
        request, "coordination/agency_form.html", {"form": form, "agency": agency}, status=status
    )


# --- a patient's orders ----------------------------------------------------------------------


def _page_url(patient_id: Any) -> str:
    return reverse("coordination:patient", kwargs={"patient_id": patient_id})


def _render_orders(
    request: HttpRequest,
    patient_id: Any,
    *,
    status: int = 200,
    audit: bool = True,
    order_form: Any = None,
    failed: tuple[Any, Any] | None = None,
) -> HttpResponse:
    user: Any = request.user
    context = selectors.orders_page_for(user, patient_id, audit=audit)
    agencies = selectors.agencies_for_orders(user)
    context["can_order"] = privileges.can(user, "coordination.order")
    context["order_form"] = order_form or OrderForm(
        agencies=agencies, initial={"requested_on": context["today"]}
    )
    context["open_panel"] = order_form is not None
    rows = []
    for order in context["orders"]:
        if failed is not None and failed[0] == order.pk:
            form = failed[1]
        else:
            form = OrderStatusForm(
                initial={"version": order.version, "occurred_on": context["today"]},
                prefix=f"o{order.pk.hex[:8]}",
            )
        rows.append((order, form))
    context["rows"] = rows
    context["failed_id"] = failed[0] if failed else None
    context["has_agencies"] = bool(agencies)
    return render(request, "coordination/patient_orders.html", context, status=status)


@staff_view("coordination.view")
@require_GET
def patient_orders(request: HttpRequest, patient_id: str) -> HttpResponse:
    return _render_orders(request, patient_id)


@staff_view("coordination.view")
@require_POST
def order_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    from pallio.patients.selectors import patient_get_for

    user: Any = request.user
    patient = patient_get_for(user, patient_id, audit=False)
    form = OrderForm(request.POST, agencies=selectors.agencies_for_orders(user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(
                actor=user,
                patient=patient,
                kind=data["kind"],
                item=data["item"],
                agency=data["agency"],
                requested_on=data["requested_on"],
                needed_by=data["needed_by"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{order.item_label} requested from {order.agency.name}.")
            return redirect(_page_url(patient.pk))
    return _render_orders(request, patient.pk, status=400, audit=False, order_form=form)


@staff_view("coordination.view")
@require_POST
def order_status(request: HttpRequest, patient_id: str, order_id: str) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get_for(user, patient_id, order_id)
    form = OrderStatusForm(request.POST, prefix=f"o{order.pk.hex[:8]}")
    status = 400
    if form.is_valid():
        try:
            with transaction.atomic():
                locked = selectors.order_get_for(user, patient_id, order_id, lock=True)
                services.order_status_set(
                    actor=user,
                    order=locked,
                    status=form.cleaned_data["status"],
                    occurred_on=form.cleaned_data["occurred_on"],
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"{locked.item_label}: {locked.status_label.lower()} is recorded."
            )
            return redirect(_page_url(order.patient_id))
    return _render_orders(
        request, order.patient_id, status=status, audit=False, failed=(order.pk, form)
    )


# --- the worklist ----------------------------------------------------------------------------


@staff_view("coordination.worklist")
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    query = params.parse(params.PageQuery, request.GET)
    user: Any = request.user
    page = selectors.worklist_for(user, query["page"])
    return render(request, "coordination/worklist.html", {"page": page})

"""Coordination endpoints of the JSON API: the program's directory searched by kind, area
and name; a patient's orders, a new order and a status change. The same services and
selectors as the pages, so the same privileges, checks, audit rows and version conflicts. A
patient, order or agency out of reach gets the same 404 as one that does not exist."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import field_validator

from pallio.coordination import selectors, services
from pallio.coordination.models import Agency, CoordinationOrder
from pallio.core import access
from pallio.core.params import NUL_MESSAGE
from pallio.patients.selectors import patient_get_for

router = Router()


class Error(Schema):
    detail: Any


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}


class AgencyOut(Schema):
    id: uuid.UUID
    kind: str
    kind_label: str
    name: str
    phone: str
    email: str
    address: str
    areas: list[str]
    notes: str
    active: bool


class DirectoryQuery(Schema):
    kind: str = Field("", max_length=20)
    area: str = Field("", max_length=100)
    name: str = Field("", max_length=100)

    @field_validator("kind", "area", "name")
    @classmethod
    def _searchable(cls, value: str) -> str:
        # PostgreSQL text cannot hold a NUL: refused here in words, never a server error.
        if "\x00" in value:
            raise ValueError(NUL_MESSAGE)
        return value


class EventOut(Schema):
    status: str
    occurred_on: date
    reason: str
    recorded_by: uuid.UUID | None


class OrderOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    kind: str
    item: str
    item_label: str
    agency_id: uuid.UUID
    status: str
    status_label: str
    requested_on: date
    needed_by: date | None
    ordered_on: date | None
    done_on: date | None
    closed_on: date | None
    confirm_by: date
    notes: str
    close_reason: str
    version: int
    history: list[EventOut]


class OrderIn(Schema):
    kind: str = Field(max_length=20)
    item: str = Field(max_length=40)
    agency_id: uuid.UUID
    requested_on: date
    needed_by: date | None = None
    notes: str = Field("", max_length=2000)


class StatusIn(Schema):
    status: str = Field(max_length=10)
    occurred_on: date
    reason: str = Field("", max_length=500)
    version: int = Field(ge=1, le=2_147_483_647)


def _caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, perm: str) -> None:
    if not access.has_perm(user, perm):
        raise PermissionDenied("Your role does not allow this.")


def _agency_out(a: Agency) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "name": a.name,
        "phone": a.phone,
        "email": a.email,
        "address": a.address,
        "areas": a.area_list,
        "notes": a.notes,
        "active": a.active,
    }


def _order_out(o: CoordinationOrder) -> dict[str, Any]:
    return {
        "id": o.pk,
        "patient_id": o.patient_id,
        "kind": o.kind,
        "item": o.item,
        "item_label": o.item_label,
        "agency_id": o.agency_id,
        "status": o.status,
        "status_label": o.status_label,
        "requested_on": o.requested_on,
        "needed_by": o.needed_by,
        "ordered_on": o.ordered_on,
        "done_on": o.done_on,
        "closed_on": o.closed_on,
        "confirm_by": o.confirm_by,
        "notes": o.notes,
        "close_reason": o.close_reason,
        "version": o.version,
        "history": [
            {
                "status": e.to_status,
                "occurred_on": e.occurred_on,
                "reason": e.reason,
                "recorded_by": getattr(e.recorded_by, "uuid", None),
            }
            for e in o.events.all()
        ],
    }


@router.get("/directory", response={200: list[AgencyOut], **ERRORS}, summary="Search the directory")
def directory(request: HttpRequest, query: Query[DirectoryQuery]) -> Any:
    """The program's active agencies, by kind, town or postal code served, and name."""
    user = _caller(request)
    _require(user, "directory.view")
    rows = selectors.agencies_search(user, kind=query.kind, area=query.area, name=query.name)
    return [_agency_out(a) for a in rows[: selectors.DIRECTORY_LIMIT]]


@router.get(
    "/patients/{patient_id}/orders",
    response={200: list[OrderOut], **ERRORS},
    summary="A patient's orders and referrals out",
)
def orders(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    user = _caller(request)
    _require(user, "coordination.view")
    context = selectors.orders_page_for(user, patient_id)
    return [_order_out(o) for o in context["orders"]]


@router.post(
    "/patients/{patient_id}/orders",
    response={201: OrderOut, **BODY_ERRORS},
    summary="Order equipment or a service, or refer out",
)
def order_create(request: HttpRequest, patient_id: uuid.UUID, payload: OrderIn) -> Any:
    user = _caller(request)
    _require(user, "coordination.view")
    patient = patient_get_for(user, patient_id, audit=False)
    agency = Agency.objects.filter(program_id=user.program_id, pk=payload.agency_id).first()
    order = services.order_create(
        actor=user,
        patient=patient,
        kind=payload.kind,
        item=payload.item,
        agency=agency,
        requested_on=payload.requested_on,
        needed_by=payload.needed_by,
        notes=payload.notes,
    )
    return Status(201, _order_out(order))


@router.post(
    "/patients/{patient_id}/orders/{order_id}/status",
    response={200: OrderOut, **BODY_ERRORS},
    summary="Record an order's next step",
)
def order_status(
    request: HttpRequest, patient_id: uuid.UUID, order_id: uuid.UUID, payload: StatusIn
) -> Any:
    """Ordered, delivered or started (``done``), declined or cancelled (with the reason).
    A step the order cannot take is refused (422) with the reason; a stale version is 409."""
    from django.db import transaction

    user = _caller(request)
    _require(user, "coordination.view")
    with transaction.atomic():
        order = selectors.order_get_for(user, patient_id, order_id, lock=True)
        services.order_status_set(
            actor=user,
            order=order,
            status=payload.status,
            occurred_on=payload.occurred_on,
            reason=payload.reason,
            expected_version=payload.version,
        )
    return _order_out(order)

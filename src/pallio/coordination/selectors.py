"""Reading coordination: a patient's orders (access-checked: a patient out of reach, or of
another program, is a 404), the care coordinator's worklist of open orders across the
program, and the program's directory searched by kind, area and name. Reads of patients'
orders are audited."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.coordination.models import OPEN_STATUSES, Agency, CoordinationOrder
from pallio.core import access, clock
from pallio.core.read_together import Rows, read_together

WORKLIST_PAGE_SIZE = 50
DIRECTORY_LIMIT = 200


# --- the directory ---------------------------------------------------------------------------


def agencies_search(
    user: Any,
    *,
    kind: str = "",
    area: str = "",
    name: str = "",
    include_inactive: bool = False,
) -> QuerySet[Agency]:
    """The user's program's agencies of `kind` serving `area` (a town or postal code, exactly
    as listed, any case) whose name contains `name`; active ones unless asked."""
    rows = Agency.objects.filter(program_id=user.program_id)
    if not include_inactive:
        rows = rows.filter(active=True)
    if kind:
        rows = rows.filter(kind=kind)
    if area.strip():
        rows = rows.filter(area_keys__contains=f"|{area.strip().lower()}|")
    if name.strip():
        rows = rows.filter(name__icontains=name.strip())
    return rows.order_by("kind", "name")


def agency_get_for(user: Any, agency_id: Any) -> Agency:
    agency = Agency.objects.filter(program_id=user.program_id, pk=agency_id).first()
    if agency is None:
        raise Http404("No such agency")
    return agency


def agencies_for_orders(user: Any) -> list[Agency]:
    return list(Agency.objects.filter(program_id=user.program_id, active=True).order_by("name"))


# --- a patient's orders ----------------------------------------------------------------------


def orders_of(patient: Any) -> list[CoordinationOrder]:
    """The patient's orders, open first then newest, with their agency and steps."""
    rows = (
        CoordinationOrder.objects.filter(patient_id=patient.pk)
        .select_related("agency", "requested_by")
        .prefetch_related("events__recorded_by")
        .annotate(
            closed=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed", "-requested_on", "-created_at")
    )
    return list(rows)


def orders_page_for(user: Any, patient_id: Any, *, audit: bool = True) -> dict[str, Any]:
    """What the patient's orders page shows, access-checked and audited as one read."""
    from pallio.patients.selectors import patient_get_for, patient_header_context

    patient = patient_get_for(user, patient_id, event="coordination.view", audit=audit)
    return {
        **patient_header_context(user, patient),
        "today": clock.today_in(patient.program.timezone),
        "orders": orders_of(patient),
    }


def order_get_for(
    user: Any, patient_id: Any, order_id: Any, *, lock: bool = False
) -> CoordinationOrder:
    """The patient's order if the user may reach the patient; Http404 otherwise."""
    from pallio.patients.selectors import patient_get_for

    patient = patient_get_for(user, patient_id, audit=False)
    rows = CoordinationOrder.objects.filter(patient_id=patient.pk, program_id=user.program_id)
    if lock:
        rows = rows.select_for_update()
    order = rows.select_related("agency").filter(pk=order_id).first()
    if order is None:
        raise Http404("No such order")
    order.patient = patient
    return order


def chart_orders_parts(patient: Any) -> dict[str, Rows]:
    """The chart card's reads, to be read together with the chart's other sections."""
    rows = (
        CoordinationOrder.objects.filter(patient_id=patient.pk)
        .select_related("agency")
        .order_by("-requested_on", "-created_at")
    )
    return {
        "coordination_open": Rows(rows.filter(status__in=OPEN_STATUSES)),
        "coordination_closed": Rows(rows.exclude(status__in=OPEN_STATUSES)[:3]),
    }


def chart_orders_of(patient: Any, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chart card: the open orders and the three latest closed ones (patient already
    access-checked by the chart), from `rows` read with chart_orders_parts, or read here."""
    rows = rows if rows is not None else read_together(chart_orders_parts(patient))
    return {
        "patient": patient,
        "open_orders": rows["coordination_open"],
        "closed_orders": rows["coordination_closed"],
        "today": clock.today_in(patient.program.timezone),
    }


# --- the care coordinator's worklist ---------------------------------------------------------


def worklist_for(user: Any, page: Any) -> Page[Any]:
    """The open orders of the patients the user may reach, those past their confirm-by day
    first (oldest first), then by confirm-by day. Audited with the patients listed."""
    today = clock.today_in(user.program.timezone)
    rows = (
        CoordinationOrder.objects.filter(
            program_id=user.program_id,
            status__in=OPEN_STATUSES,
            patient__entered_in_error=False,
        )
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("agency", "patient")
        .order_by("confirm_by", "requested_on", "pk")
    )
    result: Page[Any] = Paginator(rows, WORKLIST_PAGE_SIZE).get_page(page)
    for order in result.object_list:
        order.overdue = order.confirm_by < today
    audit_record(
        actor=user,
        action=Action.READ,
        event="coordination.worklist",
        program=user.program,
        detail={"patients": sorted({str(o.patient_id) for o in result.object_list})},
    )
    return result

"""Every write of coordination: the program's directory of agencies, a patient's orders and
outbound referrals and their status, and the follow-up task of an order the agency has not
confirmed in time. Each write checks the clinical privilege, runs in one transaction and
writes its audit row in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.coordination.catalog import agency_kinds, item_of, order_kinds
from pallio.coordination.models import (
    OPEN_STATUSES,
    Agency,
    CoordinationOrder,
    OrderEvent,
    OrderStatus,
)
from pallio.core import access, clock, privileges
from pallio.core.models import versioned_save
from pallio.core.validation import Errors, check_choice, check_text
from pallio.core.words import day_text

STATUS_EVENTS = {
    OrderStatus.ORDERED: "coordination.ordered",
    OrderStatus.DONE: "coordination.done",
    OrderStatus.DECLINED: "coordination.declined",
    OrderStatus.CANCELLED: "coordination.cancelled",
}


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def area_keys_of(areas: str) -> str:
    keys = [a.strip().lower() for a in areas.split(",") if a.strip()]
    return "|" + "|".join(dict.fromkeys(keys)) + "|" if keys else ""


# --- the directory ---------------------------------------------------------------------------

# Who keeps the directory: it names no patient, so it is not a clinical privilege. Those who
# arrange services with the agencies, on the clinical staff, and the program administrator.
DIRECTORY_DISCIPLINES = frozenset({"care_coordinator", "nurse_navigator", "social_worker"})
DIRECTORY_REFUSAL = (
    "Only a care coordinator, nurse navigator, social worker or the program administrator "
    "may add or change an agency in the directory."
)


def may_manage_directory(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "program_id", None):
        return False
    if access.has_perm(user, "directory.manage"):
        return True
    return user.role in access.CLINICAL_ROLES and user.discipline in DIRECTORY_DISCIPLINES


def directory_manage_check(user: Any) -> None:
    if not may_manage_directory(user):
        raise PermissionDenied(DIRECTORY_REFUSAL)


@dataclass
class AgencyInput:
    kind: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    areas: str = ""
    notes: str = ""
    active: bool = True


def _check_agency(program: Any, data: AgencyInput, *, exclude: Any = None) -> Errors:
    errors: Errors = {}
    check_choice(errors, "kind", data.kind, list(agency_kinds()))
    check_text(errors, "name", data.name, 200, required=True)
    check_text(errors, "phone", data.phone, 40)
    check_text(errors, "address", data.address, 300)
    check_text(errors, "areas", data.areas, 1000)
    check_text(errors, "notes", data.notes, 2000)
    if data.email.strip():
        try:
            validate_email(data.email.strip())
        except ValidationError:
            errors.setdefault("email", []).append(
                "Enter an email address, such as intake@agency.example.org."
            )
    same = Agency.objects.filter(
        program_id=program.pk, kind=data.kind, name__iexact=data.name.strip()
    )
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if data.name.strip() and same.exists():
        errors.setdefault("name", []).append(
            "The directory already has an agency of this kind by that name."
        )
    return errors


@transaction.atomic
def agency_create(*, actor: Any, data: AgencyInput) -> Agency:
    """Add an agency, vendor or group to the actor's program's directory."""
    directory_manage_check(actor)
    program = actor.program
    _raise(_check_agency(program, data))
    agency = Agency.objects.create(
        program=program,
        kind=data.kind,
        name=data.name.strip(),
        phone=data.phone.strip(),
        email=data.email.strip(),
        address=data.address.strip(),
        areas=data.areas.strip(),
        area_keys=area_keys_of(data.areas),
        notes=data.notes.strip(),
        active=data.active,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="directory.agency_create",
        target=agency,
        program=program,
        detail={"kind": agency.kind},
    )
    return agency


@transaction.atomic
def agency_update(
    *, actor: Any, agency: Agency, data: AgencyInput, expected_version: int | None
) -> Agency:
    """Change a directory entry (or mark it no longer used: inactive)."""
    directory_manage_check(actor)
    if agency.program_id != actor.program_id:
        raise ValidationError("No such agency.")
    _raise(_check_agency(actor.program, data, exclude=agency.pk))
    agency.kind = data.kind
    agency.name = data.name.strip()
    agency.phone = data.phone.strip()
    agency.email = data.email.strip()
    agency.address = data.address.strip()
    agency.areas = data.areas.strip()
    agency.area_keys = area_keys_of(data.areas)
    agency.notes = data.notes.strip()
    agency.active = data.active
    fields = ["kind", "name", "phone", "email", "address", "areas", "area_keys", "notes"]
    versioned_save(agency, expected_version, [*fields, "active"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="directory.agency_update",
        target=agency,
        program=actor.program,
        detail={"kind": agency.kind, "active": agency.active},
    )
    return agency


# --- orders ----------------------------------------------------------------------------------


def _check_day(errors: Errors, name: str, value: Any, *, today: date, future: bool) -> None:
    if not isinstance(value, date):
        errors.setdefault(name, []).append("Give a date.")
    elif not future and value > today:
        errors.setdefault(name, []).append("The date cannot be in the future.")


@transaction.atomic
def order_create(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    item: str,
    agency: Agency | None,
    requested_on: date,
    needed_by: date | None = None,
    notes: str = "",
) -> CoordinationOrder:
    """Order equipment or a service for the patient, or refer them out, from an agency of the
    program's directory whose kind provides it."""
    privileges.privilege_check(actor, "coordination.order")
    if patient.program_id != actor.program_id:
        raise ValidationError("No such patient.")
    today = clock.today_in(patient.program.timezone)
    errors: Errors = {}
    check_choice(errors, "kind", kind, list(order_kinds()))
    wanted = item_of(kind, item)
    if wanted is None:
        errors.setdefault("item", []).append("Choose what is ordered from the list.")
    _check_day(errors, "requested_on", requested_on, today=today, future=False)
    if needed_by is not None and isinstance(requested_on, date) and needed_by < requested_on:
        errors.setdefault("needed_by", []).append("Needed by cannot be before the request.")
    check_text(errors, "notes", notes, 2000)
    if agency is None or agency.program_id != patient.program_id:
        errors.setdefault("agency", []).append("Choose an agency from the program's directory.")
    elif not agency.active:
        errors.setdefault("agency", []).append(
            f"{agency.name} is marked no longer used in the directory."
        )
    elif wanted is not None and agency.kind not in wanted.agencies:
        kinds = " or ".join(_a(agency_kinds()[k].lower()) for k in wanted.agencies)
        errors.setdefault("agency", []).append(
            f"{agency.name} is {_a(agency.get_kind_display().lower())}: "
            f"{wanted.label.lower()} comes from {kinds}."
        )
    _raise(errors)
    assert wanted is not None and agency is not None
    order = CoordinationOrder.objects.create(
        program_id=patient.program_id,
        patient=patient,
        kind=kind,
        item=item,
        agency=agency,
        requested_on=requested_on,
        needed_by=needed_by,
        confirm_by=requested_on + timedelta(days=wanted.follow_up_days),
        notes=notes.strip(),
        requested_by=actor,
    )
    OrderEvent.objects.create(
        order=order,
        from_status="",
        to_status=OrderStatus.REQUESTED,
        occurred_on=requested_on,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="coordination.request",
        patient=patient,
        target=order,
        detail={"kind": kind, "item": item, "agency": str(agency.pk)},
    )
    return order


def _refusal(order: CoordinationOrder, status: str) -> str:
    current = order.status_label.lower()
    wanted = (
        order.done_label.lower()
        if status == OrderStatus.DONE
        else OrderStatus(status).label.lower()
    )
    if order.status == OrderStatus.REQUESTED and status == OrderStatus.DONE:
        return (
            f"This order is only requested: record that it was ordered from "
            f"{order.agency.name} before marking it {wanted}."
        )
    return f"This order is already {current}: it cannot be marked {wanted}."


@transaction.atomic
def order_status_set(
    *,
    actor: Any,
    order: CoordinationOrder,
    status: str,
    occurred_on: date,
    reason: str = "",
    expected_version: int | None,
) -> CoordinationOrder:
    """Move the order one step: ordered, delivered or started, declined or cancelled (these
    two with the reason). Any other move is refused with the reason in plain words."""
    privileges.privilege_check(actor, "coordination.order")
    if order.program_id != actor.program_id:
        raise ValidationError("No such order.")
    today = clock.today_in(order.patient.program.timezone)
    reason = reason.strip()
    errors: Errors = {}
    if status not in OrderStatus.values or status == OrderStatus.REQUESTED:
        errors.setdefault("status", []).append("Choose what happened to the order.")
    _check_day(errors, "occurred_on", occurred_on, today=today, future=False)
    check_text(errors, "reason", reason, 500)
    if status in (OrderStatus.DECLINED, OrderStatus.CANCELLED) and not reason:
        word = "declined" if status == OrderStatus.DECLINED else "cancelled"
        errors.setdefault("reason", []).append(f"Say why the order was {word}.")
    _raise(errors)
    if status not in order.next_statuses:
        raise ValidationError({"status": [_refusal(order, status)]})
    last = order.events.order_by("-occurred_on").values_list("occurred_on", flat=True).first()
    if last is not None and occurred_on < last:
        raise ValidationError(
            {
                "occurred_on": [
                    f"The date cannot be before the order's last step ({day_text(last)})."
                ]
            }
        )
    before = order.status
    order.status = status
    fields = ["status"]
    if status == OrderStatus.ORDERED:
        order.ordered_on = occurred_on
        fields.append("ordered_on")
    elif status == OrderStatus.DONE:
        order.done_on = occurred_on
        fields.append("done_on")
    else:
        order.closed_on = occurred_on
        order.close_reason = reason
        fields += ["closed_on", "close_reason"]
    versioned_save(order, expected_version, fields)
    OrderEvent.objects.create(
        order=order,
        from_status=before,
        to_status=status,
        occurred_on=occurred_on,
        reason=reason,
        recorded_by=actor,
    )
    if status not in OPEN_STATUSES and order.follow_up_task_id is not None:
        from pallio.careplans.models import Task
        from pallio.careplans.services import task_close_with

        task_close_with(
            task_id=order.follow_up_task_id,
            status=Task.Status.DONE if status == OrderStatus.DONE else Task.Status.CANCELLED,
        )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event=STATUS_EVENTS[OrderStatus(status)],
        patient=order.patient,
        target=order,
        detail={"from": before, "to": status, "on": occurred_on.isoformat()},
    )
    return order


# --- follow-up of orders not confirmed -------------------------------------------------------


def _coordinator_of(order: CoordinationOrder) -> Any:
    """The care coordinator on the patient's care team, if any (else the discipline's queue)."""
    from pallio.episodes.models import CareTeamMember

    member = (
        CareTeamMember.objects.filter(
            patient_id=order.patient_id, active=True, user__discipline="care_coordinator"
        )
        .select_related("user", "episode")
        .order_by("-is_lead", "created_at")
        .first()
    )
    return member


def follow_ups_create(*, program: Any) -> list[Any]:
    """Give the care coordinator one follow-up task for each open order of the program its
    agency has not confirmed (delivered or started) by its confirm-by day. Each order gets at
    most one, however often this runs: the order is locked and keeps its task."""
    from pallio.careplans.models import TaskKind
    from pallio.careplans.services import task_create

    today = clock.today_in(program.timezone)
    due_ids = list(
        CoordinationOrder.objects.filter(
            program_id=program.pk,
            status__in=OPEN_STATUSES,
            confirm_by__lt=today,
            follow_up_task__isnull=True,
        ).values_list("pk", flat=True)
    )
    made = []
    for order_id in due_ids:
        with transaction.atomic():
            order = (
                CoordinationOrder.objects.select_for_update()
                .select_related("patient", "agency")
                .get(pk=order_id)
            )
            if order.follow_up_task_id is not None or order.status not in OPEN_STATUSES:
                continue
            member = _coordinator_of(order)
            step = "ordered" if order.status == OrderStatus.ORDERED else "requested"
            task = task_create(
                actor=None,
                patient=order.patient,
                episode=member.episode if member else None,
                kind=TaskKind.FOLLOW_UP,
                title=f"Follow up: {order.item_label} from {order.agency.name}"[:200],
                detail=(
                    f"{order.item_label} was {step} on {day_text(order.requested_on)} and "
                    f"{order.agency.name} has not confirmed it "
                    f"({order.done_label.lower()}) by {day_text(order.confirm_by)}. "
                    f"Call them{' at ' + order.agency.phone if order.agency.phone else ''}."
                ),
                due=today,
                discipline="care_coordinator",
                assigned_to=member.user if member else None,
            )
            order.follow_up_task = task
            order.save(update_fields=["follow_up_task"])
            audit_record(
                actor=None,
                action=Action.UPDATE,
                event="coordination.follow_up",
                patient=order.patient,
                target=order,
                program=program,
                detail={"task": str(task.pk)},
            )
            made.append(task)
    return made


def follow_ups_create_all() -> int:
    from pallio.programs.models import Program

    return sum(len(follow_ups_create(program=p)) for p in Program.objects.order_by("pk"))

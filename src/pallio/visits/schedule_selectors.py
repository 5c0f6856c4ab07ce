"""Reads of places and scheduled visits. A scheduled visit is reached only through its
patient's access rule (missing and forbidden are the same 404); the access notes of a home are
shown only to the clinician booked on the visit, and every display is audited; a calendar
costs a fixed number of queries whatever its length."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_read, audit_record
from pallio.core import access, clock
from pallio.visits.models import (
    FACILITY_SETTINGS,
    HOME_SETTINGS,
    Place,
    Priority,
    ScheduledVisit,
)

UPCOMING_LIMIT = 20


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such visit") from None


def priority_rank() -> Case:
    """Urgent first, then soon, then routine: the order of every list of visits."""
    return Case(
        When(priority=Priority.URGENT, then=Value(0)),
        When(priority=Priority.SOON, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def places_for_booking(patient: Any) -> list[Place]:
    """The places a visit of this patient may be booked at: their own homes and the program's
    facilities."""
    rows = Place.objects.filter(program_id=patient.program_id, active=True).order_by(
        "setting", "name"
    )
    return [
        p
        for p in rows
        if (p.setting in FACILITY_SETTINGS and p.patient_id is None)
        or (p.setting in HOME_SETTINGS and p.patient_id == patient.pk)
    ]


def patient_places(patient: Any) -> list[Place]:
    return list(Place.objects.filter(patient=patient, active=True).order_by("name"))


def upcoming_visits_of(patient: Any) -> list[ScheduledVisit]:
    """The patient's booked visits from today on, soonest first."""
    start = datetime.combine(
        clock.today_in(patient.program.timezone), time.min, ZoneInfo(patient.program.timezone)
    )
    return list(
        ScheduledVisit.objects.filter(
            patient=patient, status=ScheduledVisit.Status.BOOKED, ends_at__gte=start
        )
        .select_related("clinician", "place")
        .order_by("starts_at")[:UPCOMING_LIMIT]
    )


def scheduled_visit_get_for(
    user: Any, visit_id: Any, *, event: str = "scheduled_visit.read", audit: bool = True
) -> ScheduledVisit:
    """The scheduled visit, if `user` may reach its patient; Http404 otherwise."""
    visit = (
        ScheduledVisit.objects.select_related("patient", "program", "clinician", "place")
        .filter(pk=_as_uuid(visit_id), program_id=user.program_id)
        .first()
    )
    if visit is None or visit.patient.entered_in_error:
        raise Http404("No such visit")
    if not access.can_access_patient(user, visit.patient):
        raise Http404("No such visit")
    if audit:
        audit_read(actor=user, patient=visit.patient, target=visit, event=event)
    return visit


def access_notes_for(user: Any, visit: ScheduledVisit) -> str | None:
    """The access notes of the visit's home (door code, pets, parking), for the clinician
    booked on the visit only; every display is audited. None for anyone else."""
    place = visit.place
    if place is None or not place.is_home or not place.access_notes:
        return None
    if user.pk != visit.clinician_id:
        return None
    audit_record(
        actor=user,
        action=Action.READ,
        event="place.access_notes_read",
        patient=visit.patient,
        target=place,
        detail={"scheduled_visit": str(visit.pk)},
    )
    return place.access_notes


# --- calendars ---------------------------------------------------------------------------------


@dataclass
class CalendarEntry:
    visit: ScheduledVisit
    # False: a visit of a patient the user may not reach, shown as busy time only.
    reachable: bool


@dataclass
class CalendarDay:
    day: date
    entries: list[CalendarEntry] = field(default_factory=list)


def _clinicians_of(user: Any) -> QuerySet[Any]:
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(program_id=user.program_id, is_active=True, role__in=access.CLINICAL_ROLES)
        .order_by("last_name", "first_name")
    )


def schedule_clinicians(user: Any) -> list[Any]:
    return list(_clinicians_of(user))


def clinician_get_for(user: Any, clinician_id: Any) -> Any:
    """A clinician of the user's program, by their public id; Http404 otherwise."""
    found = _clinicians_of(user).filter(uuid=_as_uuid(clinician_id)).first()
    if found is None:
        raise Http404("No such clinician")
    return found


def schedule_for(user: Any, *, start: date, days: int, clinician: Any = None) -> list[CalendarDay]:
    """The visits of `days` days from `start` (the program's days), of one clinician or of the
    whole team, by day and then by time. Cancelled visits are left out. A visit of a patient
    the user may not reach shows only as busy time. Three queries whatever the length."""
    zone = ZoneInfo(user.program.timezone)
    begin = datetime.combine(start, time.min, zone)
    end = datetime.combine(start + timedelta(days=days), time.min, zone)
    rows = (
        ScheduledVisit.objects.filter(
            program_id=user.program_id, starts_at__lt=end, ends_at__gt=begin
        )
        .exclude(status=ScheduledVisit.Status.CANCELLED)
        .select_related("patient", "clinician", "place")
        .order_by("starts_at", priority_rank())
    )
    if clinician is not None:
        rows = rows.filter(clinician_id=clinician.pk)
    visits = list(rows)
    reachable = set(
        access.visible_patients(user)
        .filter(pk__in={v.patient_id for v in visits})
        .values_list("pk", flat=True)
    )
    calendar = [CalendarDay(start + timedelta(days=n)) for n in range(days)]
    for visit in visits:
        index = (visit.starts_at.astimezone(zone).date() - start).days
        if 0 <= index < days:
            calendar[index].entries.append(CalendarEntry(visit, visit.patient_id in reachable))
    audit_record(
        actor=user,
        action=Action.READ,
        event="schedule.read",
        detail={
            "start": start.isoformat(),
            "days": days,
            "clinician": str(clinician.uuid) if clinician is not None else "team",
        },
    )
    return calendar

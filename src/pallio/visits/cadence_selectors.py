"""Reads of visit cadences and external appointments: when each discipline's next visit is
due, the patients whose cadence is overdue, and the same-day visits Pallio suggests beside an
appointment elsewhere.

The next visit is due one interval after the discipline's last booked or completed visit
(the day the cadence was set, when there is none); overdue once that day has passed, in the
program's days. A same-day visit is suggested when a visit is due within the coming week
(or overdue) and the patient has a booked external appointment in that week: at the same site,
on the same day. The overdue list costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery
from django.urls import reverse

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.visits.cadence_models import (
    INTERVAL_DAYS,
    AppointmentKind,
    ExternalAppointment,
    Frequency,
    VisitCadence,
)
from pallio.visits.models import ScheduledVisit, Setting, VisitKind

WEEK = 7
PAGE_SIZE = 25
SUGGESTED_LENGTH = timedelta(minutes=45)
# During an infusion the patient sits in the chair for hours: the visit starts a little after
# it begins. After imaging (or another appointment) the visit follows it.
INFUSION_SETTLE = timedelta(minutes=30)
# A site named only in words: the setting the booking form starts from.
KIND_SETTING = {
    AppointmentKind.INFUSION: Setting.CANCER_CENTER,
    AppointmentKind.IMAGING: Setting.CLINIC,
    AppointmentKind.OTHER: Setting.CLINIC,
}


@dataclass
class Suggestion:
    """A same-day palliative visit beside an external appointment, and the link that opens
    the booking form with it filled in."""

    appointment: ExternalAppointment
    discipline: str
    discipline_label: str
    clinician: Any
    starts_at: datetime
    ends_at: datetime
    book_url: str


@dataclass
class CadenceStatus:
    cadence: VisitCadence
    last: datetime | None
    due: date | None
    overdue: bool
    due_this_week: bool
    suggestion: Suggestion | None = None


@dataclass
class OverdueRow:
    patient: Any
    statuses: list[CadenceStatus] = field(default_factory=list)


def _zone(program: Any) -> ZoneInfo:
    return ZoneInfo(program.timezone)


def _last_visit() -> Subquery:
    """The start of the discipline's latest booked or completed visit of the patient."""
    return Subquery(
        ScheduledVisit.objects.filter(
            patient_id=OuterRef("patient_id"),
            discipline=OuterRef("discipline"),
            status__in=ScheduledVisit.ACTIVE_STATUSES,
        )
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )


def due_date(frequency: str, last: datetime | None, since: date, zone: ZoneInfo) -> date | None:
    """The day the next visit is due; None for "as needed"."""
    days = INTERVAL_DAYS.get(Frequency(frequency))
    if days is None:
        return None
    base = last.astimezone(zone).date() if last is not None else since
    return base + timedelta(days=days)


def _status(cadence: VisitCadence, last: datetime | None, today: date) -> CadenceStatus:
    due = due_date(cadence.frequency, last, cadence.since, _zone(cadence.program))
    return CadenceStatus(
        cadence=cadence,
        last=last,
        due=due,
        overdue=due is not None and due < today,
        due_this_week=due is not None and due < today + timedelta(days=WEEK),
    )


def week_appointments(patient_ids: Any, program: Any) -> dict[Any, list[ExternalAppointment]]:
    """The booked external appointments of the coming week (today and the six days after),
    still to start, by patient; one query."""
    zone = _zone(program)
    today = clock.today_in(program.timezone)
    end = datetime.combine(today + timedelta(days=WEEK), time.min, zone)
    rows = ExternalAppointment.objects.filter(
        patient_id__in=patient_ids,
        status=ExternalAppointment.Status.BOOKED,
        starts_at__gte=clock.now(),
        starts_at__lt=end,
    ).select_related("place")
    found: dict[Any, list[ExternalAppointment]] = {}
    for row in rows.order_by("starts_at"):
        found.setdefault(row.patient_id, []).append(row)
    return found


def _team_by_discipline(patient_ids: Any) -> dict[tuple[Any, str], Any]:
    """The care team member of each discipline of each patient (the lead first); one query."""
    found: dict[tuple[Any, str], Any] = {}
    rows = (
        CareTeamMember.objects.filter(patient_id__in=patient_ids, active=True)
        .select_related("user")
        .order_by("-is_lead", "created_at")
    )
    for member in rows:
        if member.user.is_active:
            found.setdefault((member.patient_id, member.discipline), member.user)
    return found


def _local(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%Y-%m-%dT%H:%M}"


def suggestion_for(
    status: CadenceStatus, appointments: list[ExternalAppointment], clinician: Any
) -> Suggestion | None:
    """A same-day visit beside the week's first appointment, when this discipline's visit is
    due this week (or overdue); None otherwise."""
    if not status.due_this_week or not appointments:
        return None
    appointment = appointments[0]
    if appointment.kind == AppointmentKind.INFUSION:
        starts = appointment.starts_at + INFUSION_SETTLE
    else:
        starts = appointment.ends_at
    ends = starts + SUGGESTED_LENGTH
    zone = _zone(status.cadence.program)
    place = appointment.place
    setting = (
        place.setting if place is not None else KIND_SETTING[AppointmentKind(appointment.kind)]
    )
    site = appointment.site_name
    query = {
        "setting": setting,
        "place": str(place.pk) if place is not None else "",
        "clinician": str(clinician.uuid) if clinician is not None else "",
        "kind": VisitKind.FOLLOW_UP.value,
        "starts_at": _local(starts, zone),
        "ends_at": _local(ends, zone),
        "note": f"Same day as the {appointment.get_kind_display().lower()} at {site}"[:300],
    }
    url = reverse("visits:book", kwargs={"patient_id": status.cadence.patient_id})
    return Suggestion(
        appointment=appointment,
        discipline=status.cadence.discipline,
        discipline_label=status.cadence.get_discipline_display(),
        clinician=clinician,
        starts_at=starts,
        ends_at=ends,
        book_url=f"{url}?{urlencode({k: v for k, v in query.items() if v})}",
    )


def cadences_of(patient: Any) -> list[CadenceStatus]:
    """The patient's cadences in their active episode, each with its next due day and the
    same-day suggestion beside an appointment that week. Four queries."""
    today = clock.today_in(patient.program.timezone)
    rows = (
        VisitCadence.objects.filter(patient=patient, episode__status=EpisodeOfCare.Status.ACTIVE)
        .select_related("program")
        .annotate(last=_last_visit())
        .order_by("discipline")
    )
    statuses = [_status(c, c.last, today) for c in rows]
    _suggest(statuses, patient.program)
    return statuses


def _suggest(statuses: list[CadenceStatus], program: Any) -> None:
    due = [s for s in statuses if s.due_this_week]
    if not due:
        return
    patient_ids = {s.cadence.patient_id for s in due}
    appointments = week_appointments(patient_ids, program)
    if not appointments:
        return
    team = _team_by_discipline(set(appointments))
    for status in due:
        key = (status.cadence.patient_id, status.cadence.discipline)
        status.suggestion = suggestion_for(
            status, appointments.get(status.cadence.patient_id, []), team.get(key)
        )


def suggestions_of(patient: Any) -> list[Suggestion]:
    return [s.suggestion for s in cadences_of(patient) if s.suggestion is not None]


def appointments_of(patient: Any) -> list[ExternalAppointment]:
    """The patient's external appointments from today on (cancelled ones too, marked)."""
    start = datetime.combine(
        clock.today_in(patient.program.timezone), time.min, _zone(patient.program)
    )
    return list(
        ExternalAppointment.objects.filter(patient=patient, ends_at__gte=start)
        .select_related("place")
        .order_by("starts_at")[:50]
    )


# --- the overdue list -------------------------------------------------------------------------


def overdue_page_for(
    user: Any, *, discipline: str = "", mine: bool = False, page: Any = 1
) -> Page[OverdueRow]:
    """The patients the user reaches whose cadence is overdue (of one discipline, or of the
    user's own patients, when asked), the longest overdue first, with the same-day visit
    suggested beside an appointment that week. A fixed number of queries; audited."""
    program = user.program
    zone = _zone(program)
    today = clock.today_in(program.timezone)
    rows = (
        VisitCadence.objects.filter(
            program_id=user.program_id,
            episode__status=EpisodeOfCare.Status.ACTIVE,
            frequency__in=list(INTERVAL_DAYS),
        )
        .filter(access.patient_access_q(user, prefix="patient__"))
        .annotate(last=_last_visit())
    )
    if discipline:
        rows = rows.filter(discipline=discipline)
    if mine:
        rows = rows.filter(
            patient_id__in=CareTeamMember.objects.filter(user_id=user.pk, active=True).values(
                "patient_id"
            )
        )
    # The due day of each cadence (the latest visit found through the index on patient,
    # discipline and start, once per cadence), then each patient's earliest overdue one: the
    # order of the list. Worked out here, not in a WHERE clause that would repeat the lookup.
    earliest: dict[Any, date] = {}
    for patient_id, frequency, last, since in rows.values_list(
        "patient_id", "frequency", "last", "since"
    ):
        due = due_date(frequency, last, since, zone)
        if due is None or due >= today:
            continue
        if patient_id not in earliest or due < earliest[patient_id]:
            earliest[patient_id] = due
    ordered = sorted(earliest, key=lambda pk: (earliest[pk], str(pk)))
    result = Paginator(ordered, PAGE_SIZE).get_page(page)
    ids = list(result.object_list)
    cadences = (
        rows.filter(patient_id__in=ids)
        .select_related("patient", "program")
        .order_by("patient_id", "discipline")
    )
    by_patient: dict[Any, OverdueRow] = {}
    statuses: list[CadenceStatus] = []
    for cadence in cadences:
        status = _status(cadence, cadence.last, today)
        if not status.overdue:
            continue
        statuses.append(status)
        by_patient.setdefault(cadence.patient_id, OverdueRow(cadence.patient)).statuses.append(
            status
        )
    _suggest(statuses, program)
    result.object_list = [by_patient[pk] for pk in ids if pk in by_patient]
    audit_record(
        actor=user,
        action=Action.READ,
        event="visit_cadence.overdue_list",
        detail={
            "patients": [str(pk) for pk in ids],
            "discipline": discipline,
            "mine": mine,
        },
    )
    return result

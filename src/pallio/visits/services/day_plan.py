"""A clinician's home-visit day plan: the order of the day's home visits from the office and
back, when each begins, the travel, and the visits that cannot fit (never dropped silently).

The order comes from the routing solver (`pallio.visits.routing.plan_day`), or from the
clinician's own order; the times come from one walk along that order in whole minutes (each
visit as early as the patient's available time allows, a locked visit at its locked time).
Applying a plan moves each visit through the booking service, so a clinician is never booked
in two places at once and every move is audited.

Who may plan: a clinician their own day, with the privilege to book or move a visit; a
colleague's day needs the `schedule.plan_colleague_day` privilege (core/data/privileges.json).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock, privileges
from pallio.core.models import versioned_save
from pallio.core.privileges import privilege_check
from pallio.visits.geo import Location, StraightLineTravel
from pallio.visits.models import HOME_SETTINGS, ScheduledVisit, VisitKind
from pallio.visits.routing import REASONS, RouteInputError, Stop, TimeWindow, plan_day
from pallio.visits.services import scheduling

# How long a home visit takes, by kind (the time held in the day, arrival to departure).
VISIT_MINUTES: dict[str, int] = {
    VisitKind.FIRST: 90,
    VisitKind.FOLLOW_UP: 45,
    VisitKind.SYMPTOM: 45,
    VisitKind.FAMILY_MEETING: 60,
    VisitKind.ADVANCE_CARE_PLANNING: 60,
}
TIME_LIMIT_S = 5.0
OFFICE_MISSING = (
    "The program's office is not set, so the day cannot start and end there. A program "
    "administrator sets it on the program's settings page, under Home-visit day plans."
)
PAST_DAY = "This day has passed. Plan today or a day ahead."
ORDER_CHANGED = (
    "The visits of this day have changed since this order was chosen. This is a new plan."
)
OUT_OF_ORDER = "In the order you chose, it cannot begin within the patient's available time."
LOCKED_UNREACHABLE = "In the order you chose, the visit before it ends too late to be there."
PAST_END = "In the order you chose, it would end after the working day."


@dataclass(frozen=True)
class PlanRow:
    visit: ScheduledVisit
    arrival: datetime
    departure: datetime
    travel_minutes: float
    travel_km: float
    wait_minutes: float
    locked: bool

    @property
    def moves(self) -> bool:
        return self.arrival != self.visit.starts_at or self.departure != self.visit.ends_at


@dataclass(frozen=True)
class UnfitRow:
    visit: ScheduledVisit
    reason: str


@dataclass
class DayPlanView:
    """What the day plan page shows. `problem`: why there is no plan at all (plain words)."""

    clinician: Any
    day: date
    visits: list[ScheduledVisit] = field(default_factory=list)
    rows: list[PlanRow] = field(default_factory=list)
    unfit: list[UnfitRow] = field(default_factory=list)
    office_name: str = ""
    leave_office: datetime | None = None
    back_at_office: datetime | None = None
    back_minutes: float = 0.0
    back_km: float = 0.0
    problem: str = ""
    notice: str = ""
    by_hand: bool = False
    solve_seconds: float = 0.0

    @property
    def order(self) -> list[str]:
        return [str(row.visit.pk) for row in self.rows]

    @property
    def total_minutes(self) -> int:
        return round(sum(r.travel_minutes for r in self.rows) + self.back_minutes)

    @property
    def total_km(self) -> float:
        return round(sum(r.travel_km for r in self.rows) + self.back_km, 1)

    @property
    def changes(self) -> int:
        return sum(1 for row in self.rows if row.moves)


# --- who may plan --------------------------------------------------------------------------------


def may_plan(actor: Any, clinician: Any) -> None:
    """Refuse (PrivilegeDenied, plain words) unless `actor` may plan `clinician`'s day."""
    if actor is not None and clinician is not None and actor.pk == clinician.pk:
        privilege_check(actor, "schedule.book")
    else:
        privilege_check(actor, "schedule.plan_colleague_day", also=("schedule.book",))
    if clinician.program_id != actor.program_id:
        raise ValidationError("This clinician is not of your program.")


def can_plan(actor: Any, clinician: Any) -> bool:
    """Whether `actor` may plan `clinician`'s day (for pages: offer the link)."""
    if clinician is None or clinician.program_id != actor.program_id:
        return False
    if actor.pk == clinician.pk:
        return privileges.can(actor, "schedule.book")
    return privileges.can(actor, "schedule.plan_colleague_day", also=("schedule.book",))


# --- the day's input -----------------------------------------------------------------------------


def office_of(program: Any) -> tuple[str, Location] | None:
    office = program.setting("day_plan_office") or {}
    try:
        return str(office["name"]), Location(float(office["latitude"]), float(office["longitude"]))
    except (KeyError, TypeError, ValueError):
        return None


def travel_of(program: Any) -> StraightLineTravel:
    return StraightLineTravel(
        road_factor=float(program.setting("day_plan_road_factor")),
        speed_kmh=float(program.setting("day_plan_speed_kmh")),
    )


def working_day(program: Any, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(program.timezone)
    starts = time.fromisoformat(program.setting("day_plan_day_starts"))
    ends = time.fromisoformat(program.setting("day_plan_day_ends"))
    return datetime.combine(day, starts, zone), datetime.combine(day, ends, zone)


def visit_minutes(visit: ScheduledVisit) -> int:
    return VISIT_MINUTES.get(visit.kind, 45)


def _ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _day_rows(clinician: Any, day: date) -> list[ScheduledVisit]:
    zone = ZoneInfo(clinician.program.timezone)
    begin = datetime.combine(day, time.min, zone)
    return list(
        ScheduledVisit.objects.filter(
            clinician_id=clinician.pk,
            starts_at__gte=begin,
            starts_at__lt=begin + timedelta(days=1),
            status__in=ScheduledVisit.ACTIVE_STATUSES,
        )
        .select_related("patient", "place", "program")
        .order_by("starts_at")
    )


def _is_planned(visit: ScheduledVisit) -> bool:
    return visit.status == ScheduledVisit.Status.BOOKED and visit.setting in HOME_SETTINGS


def _windows(
    visit: ScheduledVisit, start: datetime, end: datetime, busy: list[tuple[datetime, datetime]]
) -> tuple[TimeWindow, ...]:
    """When the visit may begin: the patient's available time inside the working day (and
    not before now), minus the times it would run into the clinician's other visits."""
    zone = ZoneInfo(visit.program.timezone)
    day = visit.starts_at.astimezone(zone).date()
    early, late = start, end - timedelta(minutes=visit_minutes(visit))
    if visit.available_from is not None:
        early = max(early, datetime.combine(day, visit.available_from, zone))
    if visit.available_until is not None:
        late = min(late, datetime.combine(day, visit.available_until, zone))
    early = max(early, _ceil_minute(clock.now()))
    spans = [(early, late)] if early <= late else []
    length = timedelta(minutes=visit_minutes(visit))
    for busy_start, busy_end in sorted(busy):
        kept = []
        for a, b in spans:
            if a < busy_end and busy_start - length < b:
                if a <= busy_start - length:
                    kept.append((a, busy_start - length))
                if busy_end <= b:
                    kept.append((busy_end, b))
            else:
                kept.append((a, b))
        spans = kept
    return tuple(TimeWindow(a, b) for a, b in spans)


def _stops(
    visits: list[ScheduledVisit], start: datetime, end: datetime
) -> tuple[list[Stop], dict[str, str]]:
    """The solver's stops, and the visits that are not available at all (id -> reason)."""
    now = clock.now()

    def mapped(visit: ScheduledVisit) -> bool:
        place = visit.place
        return place is not None and place.latitude is not None and place.longitude is not None

    planned = [v for v in visits if _is_planned(v)]
    # A visit that cannot be planned keeps its booked time: the others go around it.
    busy = [(v.starts_at, v.ends_at) for v in visits if not _is_planned(v) or not mapped(v)]
    stops, unavailable = [], {}
    for visit in planned:
        if not mapped(visit):
            unavailable[str(visit.pk)] = REASONS["no_location"]
            continue
        place = visit.place
        location = None
        if place is not None and place.latitude is not None and place.longitude is not None:
            location = Location(float(place.latitude), float(place.longitude))
        locked = visit.time_locked or visit.starts_at < now
        windows: tuple[TimeWindow, ...] = ()
        if not locked:
            windows = _windows(visit, start, end, busy)
            if not windows:
                unavailable[str(visit.pk)] = (
                    "The patient's available time does not leave room for it in the working "
                    "day, around the clinician's other visits."
                )
                continue
        stops.append(
            Stop(
                id=str(visit.pk),
                location=location,
                service_minutes=visit_minutes(visit),
                windows=windows,
                locked_at=visit.starts_at if locked else None,
            )
        )
    return stops, unavailable


# --- the plan ------------------------------------------------------------------------------------


def _walk(
    plan: DayPlanView,
    order: list[Stop],
    by_id: dict[str, ScheduledVisit],
    office: Location,
    start: datetime,
    end: datetime,
    travel: StraightLineTravel,
) -> None:
    """Times along `order` in whole minutes; a visit that cannot be placed in this order is
    listed as unfit with the reason."""
    here, free = office, start
    for stop in order:
        assert stop.location is not None
        minutes, km = travel.minutes(here, stop.location), travel.km(here, stop.location)
        door = free + timedelta(minutes=minutes)
        length = timedelta(minutes=stop.service_minutes)
        begin: datetime | None = None
        reason = OUT_OF_ORDER
        if stop.locked_at is not None:
            late = door - stop.locked_at
            if late <= timedelta(seconds=59) and free <= stop.locked_at:
                begin = stop.locked_at
            reason = LOCKED_UNREACHABLE
        else:
            for window in stop.windows:
                if door <= window.end:
                    begin = _ceil_minute(max(door, window.start))
                    break
        if begin is not None and begin + length > end:
            begin, reason = None, PAST_END
        if begin is None:
            plan.unfit.append(UnfitRow(by_id[stop.id], reason))
            continue
        first = not plan.rows
        wait = 0.0 if first else max(0.0, (begin - door).total_seconds() / 60)
        if first:
            plan.leave_office = begin - timedelta(minutes=minutes)
        plan.rows.append(
            PlanRow(
                visit=by_id[stop.id],
                arrival=begin,
                departure=begin + length,
                travel_minutes=round(minutes, 1),
                travel_km=round(km, 2),
                wait_minutes=round(wait),
                locked=stop.locked_at is not None,
            )
        )
        here, free = stop.location, begin + length
    if plan.rows:
        plan.back_minutes = round(travel.minutes(here, office), 1)
        plan.back_km = round(travel.km(here, office), 2)
        plan.back_at_office = free + timedelta(minutes=plan.back_minutes)


def _plan(clinician: Any, day: date, order: list[str] | None) -> DayPlanView:
    program = clinician.program
    plan = DayPlanView(clinician=clinician, day=day)
    plan.visits = _day_rows(clinician, day)
    if day < clock.today_in(program.timezone):
        plan.problem = PAST_DAY
        return plan
    office = office_of(program)
    if office is None:
        plan.problem = OFFICE_MISSING
        return plan
    plan.office_name, place = office
    start, end = working_day(program, day)
    travel = travel_of(program)
    stops, unavailable = _stops(plan.visits, start, end)
    by_id = {str(v.pk): v for v in plan.visits}
    try:
        solved = plan_day(
            office=place,
            day_start=start,
            day_end=end,
            stops=stops,
            travel=travel,
            time_limit_s=TIME_LIMIT_S,
        )
    except RouteInputError as exc:
        plan.problem = str(exc)
        return plan
    plan.solve_seconds = solved.solve_seconds
    stop_of = {s.id: s for s in stops}
    chosen = list(solved.order)
    if order:
        if sorted(order) == sorted(chosen):
            chosen, plan.by_hand = order, True
        else:
            plan.notice = ORDER_CHANGED
    _walk(plan, [stop_of[i] for i in chosen], by_id, place, start, end, travel)
    unfit_ids = {str(u.visit.pk) for u in plan.unfit}
    for gone in solved.unfit:
        if gone.stop_id not in unfit_ids:
            plan.unfit.append(UnfitRow(by_id[gone.stop_id], gone.reason))
    for visit_id, reason in unavailable.items():
        plan.unfit.append(UnfitRow(by_id[visit_id], reason))
    plan.unfit.sort(key=lambda u: u.visit.starts_at)
    return plan


def day_plan_build(
    *, actor: Any, clinician: Any, day: date, order: list[str] | None = None
) -> DayPlanView:
    """The plan of `clinician`'s home visits on `day` (in the program's time zone): by the
    solver, or in `order` (visit ids) when it names exactly the visits the plan fits."""
    may_plan(actor, clinician)
    plan = _plan(clinician, day, order)
    audit_record(
        actor=actor,
        action=Action.READ,
        event="day_plan.read",
        program=clinician.program,
        detail={"clinician": str(clinician.uuid), "day": day.isoformat()},
    )
    return plan


def _parking(clinician: Any, moves: list[PlanRow], day: date) -> datetime:
    """A time after every visit of the day and of the plan, where a visit can wait for a
    moment while visits swap places (inside one transaction: it is never seen)."""
    zone = ZoneInfo(clinician.program.timezone)
    latest = max(
        [row.departure for row in moves]
        + [v.ends_at for v in _day_rows(clinician, day)]
        + [datetime.combine(day, time(22, 0), zone)]
    )
    return latest + timedelta(minutes=1)


@transaction.atomic
def day_plan_apply(*, actor: Any, clinician: Any, day: date, order: list[str]) -> DayPlanView:
    """Move the day's visits to the times of the plan in `order` (the order the page showed),
    through the booking service. All or nothing: a refused move leaves every visit as it was,
    with the booking service's message."""
    may_plan(actor, clinician)
    plan = _plan(clinician, day, order)
    if plan.problem:
        raise ValidationError(plan.problem)
    if plan.notice:
        raise ValidationError(plan.notice + " Look at it before applying it.")
    pending = [row for row in plan.rows if row.moves]
    moved = 0
    park = _parking(clinician, pending, day)
    while pending:
        target = {row.visit.pk: row for row in pending}

        def blocked(row: PlanRow, pending_ids: Any = target) -> bool:
            return any(
                other.visit.pk != row.visit.pk
                and other.visit.starts_at < row.departure
                and row.arrival < other.visit.ends_at
                for other in pending_ids.values()
            )

        ready = [row for row in pending if not blocked(row)]
        if not ready:  # visits swapping places: one waits after the day while the others move
            row = pending[0]
            length = row.visit.ends_at - row.visit.starts_at
            parked = scheduling.scheduled_visit_reschedule(
                actor=actor, visit=row.visit, starts_at=park, ends_at=park + length
            )
            park += length
            pending[0] = PlanRow(
                parked, row.arrival, row.departure, row.travel_minutes, row.travel_km,
                row.wait_minutes, row.locked,
            )  # fmt: skip
            continue
        for row in ready:
            scheduling.scheduled_visit_reschedule(
                actor=actor, visit=row.visit, starts_at=row.arrival, ends_at=row.departure
            )
            moved += 1
        done = {row.visit.pk for row in ready}
        pending = [row for row in pending if row.visit.pk not in done]
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="day_plan.apply",
        program=clinician.program,
        detail={"clinician": str(clinician.uuid), "day": day.isoformat(), "moved": moved},
    )
    plan = _plan(clinician, day, order)
    return plan


@transaction.atomic
def visit_time_lock(
    *, actor: Any, visit: ScheduledVisit, locked: bool, expected_version: int | None = None
) -> ScheduledVisit:
    """Lock a booked visit's time (a new plan keeps it where it is), or free it again."""
    may_plan(actor, visit.clinician)
    scheduling._may_schedule(actor, visit.patient)
    current = scheduling._locked(visit)
    current.time_locked = locked
    current.updated_at = clock.now()
    versioned_save(current, expected_version=expected_version, fields=["time_locked", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="scheduled_visit.lock" if locked else "scheduled_visit.unlock",
        patient=current.patient,
        target=current,
    )
    return current


@transaction.atomic
def visit_availability_set(
    *,
    actor: Any,
    visit: ScheduledVisit,
    available_from: time | None,
    available_until: time | None,
    expected_version: int | None = None,
) -> ScheduledVisit:
    """When the patient is available for the visit to begin (local times of its day)."""
    may_plan(actor, visit.clinician)
    scheduling._may_schedule(actor, visit.patient)
    if available_from and available_until and available_until <= available_from:
        raise ValidationError(
            {"available_until": ["The patient's available time must end after it begins."]}
        )
    current = scheduling._locked(visit)
    current.available_from, current.available_until = available_from, available_until
    current.updated_at = clock.now()
    versioned_save(
        current,
        expected_version=expected_version,
        fields=["available_from", "available_until", "updated_at"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="scheduled_visit.availability",
        patient=current.patient,
        target=current,
    )
    return current


def parse_order(raw: str) -> list[str]:
    """Visit ids from the page's order field (comma-separated); unknown text is dropped."""
    import uuid

    found = []
    for part in raw.split(","):
        try:
            found.append(str(uuid.UUID(part.strip())))
        except ValueError:
            continue
    return found


def minutes_text(minutes: float) -> str:
    whole = math.ceil(minutes - 1e-9) if minutes > 0 else 0
    hours, rest = divmod(int(whole), 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"

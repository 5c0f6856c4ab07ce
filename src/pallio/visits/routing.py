"""The home-visit day plan: the order of a clinician's home visits, and when each happens.

`plan_day` is a pure function over the dataclasses below (no database): the office the day
starts and ends at, the working day, the stops (each a visit with a place, the times the
patient is available, how long the visit takes, and perhaps a time the clinician locked) and a
travel-time source from `pallio.visits.geo`. It returns the visits in order with their arrival
and departure times, the total travel, and every stop that could not fit with a plain reason:
no stop is ever dropped silently.

The solver is PyVRP (docs/adr/0011-routing-solver.md), run with a fixed seed: the same input
gives the same plan, provided the search ends by itself (no improvement for a while) before the
time limit, which is the case for a day's worth of visits (`DayPlan.stopped_by_time_limit`
says when it did not).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pallio.visits.geo import Location, MissingTravelTime, StraightLineTravel, TravelSource

MAX_STOPS = 100
DEFAULT_TIME_LIMIT_S = 3.0
NO_IMPROVEMENT_ITERATIONS = 2_000
SEED = 12


class RouteInputError(ValueError):
    """The day plan cannot be built from this input; the message says why in plain words."""


class TooManyStops(RouteInputError):
    """More stops than one day plan takes (MAX_STOPS)."""


@dataclass(frozen=True)
class TimeWindow:
    """The patient is available for the visit to begin from `start` until `end`."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Stop:
    """One home visit to place in the day.

    `windows`: when the visit may begin (none given: any time in the working day).
    `locked_at`: the clinician fixed the time the visit begins; it is kept as it is.
    """

    id: str
    location: Location | None
    service_minutes: int
    windows: tuple[TimeWindow, ...] = ()
    locked_at: datetime | None = None


@dataclass(frozen=True)
class PlannedVisit:
    """A routed stop. `arrival` is when the visit begins; the clinician may have waited
    `wait_minutes` outside first (arrived before the patient's time began)."""

    stop_id: str
    arrival: datetime
    departure: datetime
    travel_minutes: float  # from the previous place (the office for the first visit)
    travel_km: float
    wait_minutes: float
    locked: bool


@dataclass(frozen=True)
class UnfitStop:
    """A stop left out of the plan, with a code for programs and a plain reason for people."""

    stop_id: str
    code: str
    reason: str


@dataclass(frozen=True)
class DayPlan:
    visits: tuple[PlannedVisit, ...]
    unfit: tuple[UnfitStop, ...]
    leave_office: datetime | None
    back_at_office: datetime | None
    total_travel_minutes: float
    total_km: float
    solve_seconds: float
    stopped_by_time_limit: bool = False
    order: tuple[str, ...] = field(default=())


REASONS = {
    "no_location": "The address has no map location, so the travel to it is unknown.",
    "no_travel_time": "The travel-time table has no time to or from this address.",
    "locked_outside_day": "Its locked time is outside the working day.",
    "not_available": "The patient is not available during the working day.",
    "locked_too_early": "Its locked time is too early to get there from the office.",
    "too_far": "It cannot be reached from the office before the patient's available time ends.",
    "ends_late": "The visit and the drive back to the office would end after the working day.",
    "locked_clash": "Its locked time clashes with another locked visit.",
    "no_room": "There is no room for it in the day alongside the other visits.",
}


def _unfit(stop_id: str, code: str) -> UnfitStop:
    return UnfitStop(stop_id=stop_id, code=code, reason=REASONS[code])


def _check_input(stops: Sequence[Stop], day_start: datetime, day_end: datetime) -> None:
    if len(stops) > MAX_STOPS:
        raise TooManyStops(
            f"A day plan can take at most {MAX_STOPS} visits; this one has {len(stops)}. "
            "Split the visits between days or clinicians."
        )
    if day_end <= day_start:
        raise RouteInputError("The working day must end after it starts.")
    seen: set[str] = set()
    for stop in stops:
        if stop.id in seen:
            raise RouteInputError(f"The visit {stop.id} is listed twice.")
        seen.add(stop.id)
        if stop.service_minutes < 0:
            raise RouteInputError(f"The visit {stop.id} has a negative length.")
        for window in stop.windows:
            if window.end < window.start:
                raise RouteInputError(f"The visit {stop.id} has a time that ends before it starts.")


def plan_day(
    *,
    office: Location,
    day_start: datetime,
    day_end: datetime,
    stops: Sequence[Stop],
    travel: TravelSource | None = None,
    end_office: Location | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    patience: int = NO_IMPROVEMENT_ITERATIONS,
) -> DayPlan:
    """Order `stops` into one clinician's day from `office` (back to `end_office`, by default
    the same office) between `day_start` and `day_end`, keeping every visit inside the
    patient's available times and every locked time as locked, with the least travel; the
    most visits fit first. Stops that cannot fit are in `DayPlan.unfit` with the reason.

    The search stops after `patience` iterations without a better plan, or at `time_limit_s`
    seconds, whichever comes first. Raises TooManyStops over 100 stops, RouteInputError for
    inconsistent input.
    """
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    _check_input(stops, day_start, day_end)
    travel = travel or StraightLineTravel()
    home = end_office or office
    horizon = round((day_end - day_start).total_seconds())

    def sec(moment: datetime, rounding: Callable[[float], int] = round) -> int:
        return rounding((moment - day_start).total_seconds())

    unfit: dict[str, UnfitStop] = {}
    candidates: list[tuple[Stop, list[tuple[int, int]]]] = []
    places = [office, home]
    for stop in stops:
        if stop.location is None:
            unfit[stop.id] = _unfit(stop.id, "no_location")
            continue
        if stop.locked_at is not None:
            at = sec(stop.locked_at)
            if not 0 <= at <= horizon:
                unfit[stop.id] = _unfit(stop.id, "locked_outside_day")
                continue
            windows = [(at, at)]
        elif stop.windows:
            clipped = (
                (max(0, sec(w.start, math.ceil)), min(horizon, sec(w.end, math.floor)))
                for w in stop.windows
            )
            windows = sorted((a, b) for a, b in clipped if a <= b)
            if not windows:
                unfit[stop.id] = _unfit(stop.id, "not_available")
                continue
        else:
            windows = [(0, horizon)]
        candidates.append((stop, windows))
        places.append(stop.location)

    # Travel seconds and km between every pair of places (0 office, 1 end office, 2.. stops).
    n = len(places)
    secs = [[0] * n for _ in range(n)]
    kms = [[0.0] * n for _ in range(n)]
    broken: set[int] = set()
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            try:
                secs[i][j] = round(travel.minutes(places[i], places[j]) * 60)
            except MissingTravelTime:
                if i < 2 or j < 2:  # not to or from the office: the stop cannot be planned
                    broken.update(k for k in (i, j) if k >= 2)
                else:  # between two stops: never one straight after the other
                    secs[i][j] = horizon + 1
            kms[i][j] = travel.km(places[i], places[j])

    # Each stop alone: from the office, inside its window, and back before the day ends.
    routable: list[tuple[int, Stop, list[tuple[int, int]]]] = []
    for k, (stop, windows) in enumerate(candidates, start=2):
        if k in broken:
            unfit[stop.id] = _unfit(stop.id, "no_travel_time")
            continue
        service = stop.service_minutes * 60
        reachable = [(a, b) for a, b in windows if max(a, secs[0][k]) <= b]
        if not reachable:
            unfit[stop.id] = _unfit(stop.id, "locked_too_early" if stop.locked_at else "too_far")
            continue
        if all(max(a, secs[0][k]) + service + secs[k][1] > horizon for a, _ in reachable):
            unfit[stop.id] = _unfit(stop.id, "ends_late")
            continue
        routable.append((k, stop, reachable))

    started = time.monotonic()
    sequence: list[tuple[int, Stop, tuple[int, int]]] = []
    stopped_by_time_limit = False
    if routable:
        model = Model()
        locs = [model.add_location(x=0, y=0) for _ in range(n)]
        start_depot = model.add_depot(locs[0])
        end_depot = model.add_depot(locs[1])
        model.add_vehicle_type(
            num_available=1, start_depot=start_depot, end_depot=end_depot,
            tw_early=0, tw_late=horizon, unit_distance_cost=1,
        )  # fmt: skip
        # Fitting a visit is worth more than any travel a day can hold; a locked one more so.
        prize = 10 * (horizon + 1)
        clients: list[tuple[int, Stop, tuple[int, int]]] = []
        for k, stop, windows in routable:
            group = model.add_client_group(required=False) if len(windows) > 1 else None
            for early, late in windows:
                model.add_client(
                    locs[k], service_duration=stop.service_minutes * 60,
                    tw_early=early, tw_late=late, required=False,
                    prize=prize * (2 if stop.locked_at else 1), group=group,
                )  # fmt: skip
                clients.append((k, stop, (early, late)))
        used = {0, 1} | {k for k, _, _ in routable}
        for i in used:
            for j in used:
                if i != j:
                    model.add_edge(locs[i], locs[j], distance=secs[i][j], duration=secs[i][j])
        limit = max(0.1, time_limit_s)
        result = model.solve(
            stop=MultipleCriteria([NoImprovement(patience), MaxRuntime(limit)]),
            seed=SEED, collect_stats=False, display=False,
        )  # fmt: skip
        stopped_by_time_limit = result.runtime >= limit
        best = result.best
        if best.is_feasible():
            for route in best.routes():
                for activity in route.schedule():
                    if activity.is_client():
                        sequence.append(clients[activity.idx])

    visits, leave, back = _schedule(sequence, secs, kms, day_start, horizon)
    routed = {v.stop_id for v in visits}
    locked_spans = [
        (sec(s.locked_at), sec(s.locked_at) + s.service_minutes * 60)
        for _, s, _ in sequence
        if s.locked_at is not None and s.id in routed
    ]
    for _, stop, _ in routable:
        if stop.id in routed:
            continue
        if stop.locked_at is not None and any(
            a < sec(stop.locked_at) + stop.service_minutes * 60 and sec(stop.locked_at) < b
            for a, b in locked_spans
        ):
            unfit[stop.id] = _unfit(stop.id, "locked_clash")
        else:
            unfit[stop.id] = _unfit(stop.id, "no_room")

    order = {stop.id: i for i, stop in enumerate(stops)}
    legs_min = sum(v.travel_minutes for v in visits)
    legs_km = sum(v.travel_km for v in visits)
    if visits:
        last = sequence[-1][0] if sequence else 0
        legs_min += secs[last][1] / 60
        legs_km += kms[last][1]
    return DayPlan(
        visits=tuple(visits),
        unfit=tuple(sorted(unfit.values(), key=lambda u: order[u.stop_id])),
        leave_office=leave,
        back_at_office=back,
        total_travel_minutes=round(legs_min, 1),
        total_km=round(legs_km, 2),
        solve_seconds=round(time.monotonic() - started, 3),
        stopped_by_time_limit=stopped_by_time_limit,
        order=tuple(v.stop_id for v in visits),
    )


def _schedule(
    sequence: list[tuple[int, Stop, tuple[int, int]]],
    secs: list[list[int]],
    kms: list[list[float]],
    day_start: datetime,
    horizon: int,
) -> tuple[list[PlannedVisit], datetime | None, datetime | None]:
    """Times along the solver's order, each visit as early as its window allows; a stop that
    would break its window or the day (never expected) is left for the caller to report."""

    def at(seconds: float) -> datetime:
        return day_start + timedelta(seconds=seconds)

    visits: list[PlannedVisit] = []
    kept: list[tuple[int, Stop, tuple[int, int]]] = []
    clock, here = 0, 0
    for k, stop, (early, late) in sequence:
        door = clock + secs[here][k]
        begin = max(door, early)
        end = begin + stop.service_minutes * 60
        if begin > late or end + secs[k][1] > horizon:
            continue
        visits.append(
            PlannedVisit(
                stop_id=stop.id,
                arrival=stop.locked_at or at(begin),
                departure=(stop.locked_at or at(begin)) + timedelta(minutes=stop.service_minutes),
                travel_minutes=round(secs[here][k] / 60, 1),
                travel_km=round(kms[here][k], 2),
                wait_minutes=round((begin - door) / 60, 1),
                locked=stop.locked_at is not None,
            )
        )
        kept.append((k, stop, (early, late)))
        clock, here = end, k
    sequence[:] = kept
    if not visits:
        return [], None, None
    # Leave the office just in time for the first visit rather than waiting at the door.
    first = visits[0]
    leave = first.arrival - timedelta(seconds=secs[0][kept[0][0]])
    visits[0] = PlannedVisit(
        stop_id=first.stop_id,
        arrival=first.arrival,
        departure=first.departure,
        travel_minutes=first.travel_minutes,
        travel_km=first.travel_km,
        wait_minutes=0.0,
        locked=first.locked,
    )
    back = at(clock + secs[here][1])
    return visits, leave, back

"""The home-visit day plan solver: time windows kept, locked times honoured, stops that cannot
fit listed with a reason (never dropped), more than 100 stops refused, the same plan for the
same input, and properties over generated days."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallio.visits.geo import Location, MatrixTravel, StraightLineTravel
from pallio.visits.routing import (
    MAX_STOPS,
    REASONS,
    RouteInputError,
    Stop,
    TimeWindow,
    TooManyStops,
    plan_day,
)

DAY = datetime(2026, 12, 1, 8, 0)
END = DAY + timedelta(hours=9)
OFFICE = Location(42.36, -71.06, "office")


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def window(start_h: float, end_h: float) -> tuple[TimeWindow, ...]:
    return (TimeWindow(at(start_h), at(end_h)),)


def line_travel(*keys: str, minutes: float = 10.0) -> MatrixTravel:
    """Places on a line: office, then keys in order, each `minutes` from the next."""
    names = ["office", *keys]
    table = {(a, b): abs(i - j) * minutes for i, a in enumerate(names) for j, b in enumerate(names)}
    return MatrixTravel(table)


def place(key: str) -> Location:
    return Location(42.36, -71.06, key)


def test_orders_visits_by_their_time_windows_and_totals_travel():
    travel = line_travel("a", "b", "c")
    stops = [
        Stop("c", place("c"), 30, window(0, 1)),  # must come first
        Stop("a", place("a"), 30, window(4, 5)),  # last
        Stop("b", place("b"), 30, window(2, 3)),
    ]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    assert plan.order == ("c", "b", "a")
    assert plan.unfit == ()
    assert plan.visits[0].arrival == at(0.5)  # 30 min from the office, leaves at 8:00
    assert plan.leave_office == at(0)
    assert plan.visits[1].arrival == at(2)  # waited for b's window
    assert plan.visits[1].wait_minutes == pytest.approx(50)  # c ends 9:00, 10 min to b
    # office->c 30, c->b 10, b->a 10, a->office 10
    assert plan.total_travel_minutes == pytest.approx(60)
    assert plan.back_at_office == at(4.5 + 10 / 60)


def test_every_visit_starts_inside_its_window():
    travel = StraightLineTravel()
    rng = random.Random(4)
    stops = [
        Stop(
            f"s{i}",
            Location(42.36 + rng.uniform(-0.1, 0.1), -71.06 + rng.uniform(-0.1, 0.1)),
            30,
            window(h := rng.uniform(0, 6), h + 2),
        )
        for i in range(10)
    ]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    windows = {s.id: s.windows[0] for s in stops}
    assert len(plan.visits) + len(plan.unfit) == 10
    for visit in plan.visits:
        assert windows[visit.stop_id].start <= visit.arrival <= windows[visit.stop_id].end
        assert visit.departure == visit.arrival + timedelta(minutes=30)
    assert plan.back_at_office is not None and plan.back_at_office <= END


def test_a_stop_with_two_windows_uses_one_of_them():
    travel = line_travel("a", "b")
    stops = [
        Stop("a", place("a"), 60, (TimeWindow(at(0), at(0.5)), TimeWindow(at(5), at(6)))),
        Stop("b", place("b"), 60, window(0, 0.5)),  # takes the morning
    ]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    assert plan.unfit == ()
    visits = {v.stop_id: v for v in plan.visits}
    assert at(0) <= visits["b"].arrival <= at(0.5)
    assert at(5) <= visits["a"].arrival <= at(6)


def test_locked_time_is_honoured_even_if_another_order_travels_less():
    travel = line_travel("a", "b")
    stops = [
        Stop("a", place("a"), 30, locked_at=at(5)),
        Stop("b", place("b"), 30),
    ]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    visits = {v.stop_id: v for v in plan.visits}
    assert visits["a"].arrival == at(5)
    assert visits["a"].locked is True
    assert visits["b"].locked is False


def test_clashing_locked_times_keep_one_and_list_the_other():
    travel = line_travel("a", "b")
    stops = [
        Stop("a", place("a"), 60, locked_at=at(2)),
        Stop("b", place("b"), 60, locked_at=at(2.5)),
    ]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    assert len(plan.visits) == 1
    assert [(u.code, u.reason) for u in plan.unfit] == [("locked_clash", REASONS["locked_clash"])]


def test_stops_that_cannot_fit_are_listed_with_plain_reasons():
    travel = MatrixTravel(
        {("office", "far"): 120.0, ("far", "office"): 120.0, ("office", "late"): 30.0,
         ("late", "office"): 30.0},
        fallback=None,
    )  # fmt: skip
    stops = [
        Stop("nowhere", None, 30),
        Stop("far", place("far"), 30, window(0, 1)),  # 2 h away, window closes after 1 h
        Stop("late", place("late"), 60, window(8.2, 8.5)),  # would end after 17:00 back home
        Stop("weekend", place("late"), 30, (TimeWindow(at(30), at(32)),)),
        Stop("locked_evening", place("late"), 30, locked_at=at(12)),
        Stop("untabled", place("x"), 30),
        Stop("locked_early", place("far"), 30, locked_at=at(1)),  # 2 h away
    ]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    assert plan.visits == ()
    assert plan.leave_office is None
    assert [(u.stop_id, u.code) for u in plan.unfit] == [
        ("nowhere", "no_location"),
        ("far", "too_far"),
        ("late", "ends_late"),
        ("weekend", "not_available"),
        ("locked_evening", "locked_outside_day"),
        ("untabled", "no_travel_time"),
        ("locked_early", "locked_too_early"),
    ]
    for unfit in plan.unfit:
        assert unfit.reason == REASONS[unfit.code]
        assert unfit.reason[0].isupper() and unfit.reason.endswith(".")


def test_too_many_visits_for_the_day_leaves_the_rest_listed_as_no_room():
    travel = line_travel("a")
    stops = [Stop(f"s{i}", place("a"), 120) for i in range(6)]  # 12 h of visits in 9 h
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, travel=travel)
    assert len(plan.visits) == 4
    assert {u.code for u in plan.unfit} == {"no_room"}
    assert len(plan.unfit) == 2


def test_more_than_100_stops_is_refused_with_a_plain_message():
    stops = [Stop(f"s{i}", OFFICE, 10) for i in range(MAX_STOPS + 1)]
    with pytest.raises(TooManyStops, match="at most 100 visits; this one has 101") as raised:
        plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops)
    assert isinstance(raised.value, ValueError)


def test_exactly_100_stops_is_planned():
    stops = [Stop(f"s{i}", OFFICE, 1) for i in range(MAX_STOPS)]
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, time_limit_s=2)
    assert len(plan.visits) == MAX_STOPS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day_end": DAY}, "must end after it starts"),
        ({"stops": [Stop("a", OFFICE, 10), Stop("a", OFFICE, 10)]}, "listed twice"),
        ({"stops": [Stop("a", OFFICE, -1)]}, "negative length"),
        ({"stops": [Stop("a", OFFICE, 10, (TimeWindow(at(2), at(1)),))]}, "ends before"),
    ],
)
def test_inconsistent_input_is_refused(kwargs, message):
    arguments = {"office": OFFICE, "day_start": DAY, "day_end": END, "stops": [], **kwargs}
    with pytest.raises(RouteInputError, match=message):
        plan_day(**arguments)


def test_no_stops_gives_an_empty_plan():
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=[])
    assert plan.visits == () and plan.unfit == () and plan.total_travel_minutes == 0


def test_end_office_can_differ_from_the_start():
    travel = line_travel("a", "home")
    plan = plan_day(
        office=OFFICE, end_office=place("home"), day_start=DAY, day_end=END,
        stops=[Stop("a", place("a"), 30)], travel=travel,
    )  # fmt: skip
    assert plan.total_travel_minutes == pytest.approx(20)  # office->a 10, a->home 10


def generated_day(seed: int, count: int) -> list[Stop]:
    rng = random.Random(seed)
    stops = []
    for i in range(count):
        loc = Location(42.36 + rng.uniform(-0.15, 0.15), -71.06 + rng.uniform(-0.15, 0.15))
        start = rng.uniform(0, 7)
        locked = at(rng.uniform(0, 8)) if rng.random() < 0.1 else None
        stops.append(Stop(f"v{i}", loc, rng.choice([30, 45, 60]), window(start, start + 2),
                          locked_at=locked))  # fmt: skip
    return stops


def test_same_input_gives_the_same_plan():
    stops = generated_day(7, 15)
    # A generous limit, so that a busy machine cannot cut the search short (the only source
    # of difference): the search ends by itself, long before it.
    first = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, time_limit_s=60)
    second = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, time_limit_s=60)
    assert not first.stopped_by_time_limit
    assert (first.visits, first.unfit) == (second.visits, second.unfit)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), count=st.integers(0, 14))
def test_property_every_stop_routed_or_listed_and_every_arrival_in_its_window(seed, count):
    stops = generated_day(seed, count)
    plan = plan_day(office=OFFICE, day_start=DAY, day_end=END, stops=stops, time_limit_s=2)
    routed = [v.stop_id for v in plan.visits]
    listed = [u.stop_id for u in plan.unfit]
    assert sorted(routed + listed) == sorted(s.id for s in stops)
    assert not set(routed) & set(listed)
    by_id = {s.id: s for s in stops}
    previous_departure = plan.leave_office
    for visit in plan.visits:
        stop = by_id[visit.stop_id]
        if stop.locked_at is not None:
            assert visit.arrival == stop.locked_at
        else:
            assert any(w.start <= visit.arrival <= w.end for w in stop.windows)
        assert previous_departure is not None and previous_departure <= visit.arrival
        previous_departure = visit.departure
    if plan.visits:
        assert DAY <= plan.leave_office <= plan.visits[0].arrival  # type: ignore[operator]
        assert plan.back_at_office is not None and plan.back_at_office <= END

"""The home-visit day plan (services/day_plan.py): the plan of a clinician's home visits from
the office and back, applying it through the booking service, locked times kept, the
clinician's own order, visits that cannot fit listed with the reason, a day over 100 visits
and a missing office explained, and who may plan whose day."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.audit.models import AuditEvent
from pallio.core.privileges import PrivilegeDenied
from pallio.programs.setting_checks import setting_problems
from pallio.visits import routing
from pallio.visits.models import ScheduledVisit
from pallio.visits.services import day_plan
from pallio.visits.tests.day_plan_helpers import home_day, set_office
from pallio.visits.tests.scheduling_helpers import at, book

pytestmark = pytest.mark.django_db


def plan_of(world: Any, days: int = 2, order: Any = None, actor: Any = None) -> Any:
    return day_plan.day_plan_build(
        actor=actor or world.physician,
        clinician=world.physician,
        day=at(world, days, 12).date(),
        order=order,
    )


def test_the_plan_orders_the_home_visits_from_the_office_with_times_and_travel(world):
    set_office(world)
    visits = home_day(world, count=4)
    plan = plan_of(world)
    assert not plan.problem and not plan.unfit
    assert sorted(plan.order) == sorted(str(v.pk) for v in visits)
    start = at(world, 2, 8)
    assert plan.leave_office is not None and plan.leave_office >= start
    previous = None
    for row in plan.rows:
        assert row.arrival.second == 0 and row.departure - row.arrival == timedelta(minutes=45)
        assert row.travel_minutes > 0 and row.travel_km > 0
        if previous is not None:
            assert row.arrival >= previous.departure + timedelta(minutes=row.travel_minutes)
        previous = row
    assert plan.back_at_office is not None and plan.back_at_office <= at(world, 2, 17)
    assert plan.total_km > 0 and plan.total_minutes > 0
    # Straight line times the road factor at the average speed: 40 km/h is 1.5 min a km.
    assert plan.total_minutes == pytest.approx(plan.total_km * 1.5, abs=2)
    assert AuditEvent.objects.filter(event="day_plan.read", user_id=world.physician.pk).exists()


def test_applying_moves_the_visits_to_the_planned_times_through_the_booking_service(world):
    set_office(world)
    home_day(world, count=4)
    plan = plan_of(world)
    assert plan.changes == 4
    day_plan.day_plan_apply(
        actor=world.physician, clinician=world.physician, day=plan.day, order=plan.order
    )
    for row in plan.rows:
        visit = ScheduledVisit.objects.get(pk=row.visit.pk)
        assert (visit.starts_at, visit.ends_at) == (row.arrival, row.departure)
    events = AuditEvent.objects.filter(event="scheduled_visit.reschedule")
    assert events.count() >= 4
    assert AuditEvent.objects.filter(event="day_plan.apply").count() == 1
    assert plan_of(world).changes == 0  # planned again: nothing more to move


def test_a_conflict_refuses_the_whole_apply_with_the_message(world, monkeypatch):
    set_office(world)
    visits = home_day(world, count=2)
    stale = plan_of(world)
    first = stale.rows[0]
    # A video visit booked afterwards over the first planned time; the plan applied is the
    # one made before it (as when two people work on the day at once).
    book(
        world,
        setting="telehealth",
        starts_at=first.arrival,
        ends_at=first.arrival + timedelta(minutes=20),
    )
    monkeypatch.setattr(day_plan, "_plan", lambda *args: stale)
    with pytest.raises(ValidationError) as refused:
        day_plan.day_plan_apply(
            actor=world.physician, clinician=world.physician, day=stale.day, order=stale.order
        )
    assert "cannot be in two places at once" in " ".join(refused.value.messages)
    for visit in visits:  # all or nothing
        assert ScheduledVisit.objects.get(pk=visit.pk).starts_at == visit.starts_at
    monkeypatch.undo()
    # Planned now, the day goes around the video visit.
    new = plan_of(world)
    assert not new.unfit and all(
        row.departure <= first.arrival or row.arrival >= first.arrival + timedelta(minutes=20)
        for row in new.rows
    )


def test_a_swap_of_two_visits_is_applied_without_refusing_itself(world):
    set_office(world)
    visits = home_day(world, count=2)
    plan = plan_of(world)
    day_plan.day_plan_apply(
        actor=world.physician, clinician=world.physician, day=plan.day, order=plan.order
    )
    swapped = list(reversed(plan_of(world).order))
    hand = plan_of(world, order=swapped)
    assert hand.by_hand and hand.order == swapped
    day_plan.day_plan_apply(
        actor=world.physician, clinician=world.physician, day=hand.day, order=swapped
    )
    moved = sorted(
        ScheduledVisit.objects.filter(pk__in=[v.pk for v in visits]), key=lambda v: v.starts_at
    )
    assert [str(v.pk) for v in moved] == swapped


def test_a_locked_time_is_kept_when_planning_again(world):
    set_office(world)
    visits = home_day(world, count=3)
    locked = visits[0]  # booked at 13:00
    day_plan.visit_time_lock(actor=world.physician, visit=locked, locked=True)
    plan = plan_of(world)
    row = next(r for r in plan.rows if r.visit.pk == locked.pk)
    assert row.locked and row.arrival == at(world, 2, 13)
    day_plan.day_plan_apply(
        actor=world.physician, clinician=world.physician, day=plan.day, order=plan.order
    )
    assert ScheduledVisit.objects.get(pk=locked.pk).starts_at == at(world, 2, 13)
    assert AuditEvent.objects.filter(event="scheduled_visit.lock", patient_id=locked.patient_id)
    day_plan.visit_time_lock(actor=world.physician, visit=locked, locked=False)
    assert not ScheduledVisit.objects.get(pk=locked.pk).time_locked


def test_the_clinician_reorders_the_plan_and_the_times_follow(world):
    set_office(world)
    home_day(world, count=3)
    planned = plan_of(world)
    order = list(planned.order)
    order[0], order[1] = order[1], order[0]
    hand = plan_of(world, order=order)
    assert hand.by_hand and hand.order == order
    assert [r.arrival for r in hand.rows] == sorted(r.arrival for r in hand.rows)
    # An order naming other visits is not followed: the page says so and shows a new plan.
    stale = plan_of(world, order=order[:2])
    assert not stale.by_hand and stale.notice == day_plan.ORDER_CHANGED


def test_the_patients_available_time_is_kept(world):
    set_office(world)
    visits = home_day(world, count=3)
    day_plan.visit_availability_set(
        actor=world.physician,
        visit=visits[2],
        available_from=time(14, 30),
        available_until=time(15, 0),
    )
    row = next(r for r in plan_of(world).rows if r.visit.pk == visits[2].pk)
    assert at(world, 2, 14, 30) <= row.arrival <= at(world, 2, 15)
    with pytest.raises(ValidationError, match="must end after it begins"):
        day_plan.visit_availability_set(
            actor=world.physician,
            visit=visits[1],
            available_from=time(15, 0),
            available_until=time(14, 0),
        )


def test_a_home_without_a_map_location_is_listed_with_the_reason(world):
    set_office(world)
    visits = home_day(world, count=3, no_geocode=1)
    plan = plan_of(world)
    assert [u.visit.pk for u in plan.unfit] == [visits[1].pk]
    assert plan.unfit[0].reason == routing.REASONS["no_location"]
    assert len(plan.rows) == 2
    # It keeps its booked time, so the plan goes around it and applies without a clash.
    kept = visits[1]
    assert all(r.departure <= kept.starts_at or r.arrival >= kept.ends_at for r in plan.rows)
    day_plan.day_plan_apply(
        actor=world.physician, clinician=world.physician, day=plan.day, order=plan.order
    )


def test_a_patient_never_available_in_the_working_day_is_listed(world):
    set_office(world)
    visits = home_day(world, count=2)
    ScheduledVisit.objects.filter(pk=visits[0].pk).update(
        available_from=time(18, 0), available_until=time(19, 0)
    )
    plan = plan_of(world)
    assert [u.visit.pk for u in plan.unfit] == [visits[0].pk]
    assert "available time" in plan.unfit[0].reason


def test_a_missing_office_tells_where_to_set_it(world):
    home_day(world, count=1)
    plan = plan_of(world)
    assert plan.problem == day_plan.OFFICE_MISSING
    assert "program's settings page" in plan.problem and not plan.rows
    with pytest.raises(ValidationError, match="office is not set"):
        day_plan.day_plan_apply(
            actor=world.physician, clinician=world.physician, day=plan.day, order=[]
        )


def test_a_day_over_100_visits_gets_the_plain_message(world, monkeypatch):
    set_office(world)
    home_day(world, count=3)
    monkeypatch.setattr(routing, "MAX_STOPS", 2)
    plan = plan_of(world)
    assert plan.problem.startswith("A day plan can take at most 2 visits; this one has 3.")


def test_a_past_day_is_not_planned(world):
    set_office(world)
    assert plan_of(world, days=-1).problem == day_plan.PAST_DAY


def test_who_may_plan_whose_day(world):
    set_office(world)
    home_day(world, count=1)
    day = at(world, 2, 12).date()
    # Own day: the privilege to book; a colleague's: the program-wide schedulers only.
    assert day_plan.day_plan_build(actor=world.physician, clinician=world.physician, day=day)
    assert day_plan.day_plan_build(actor=world.director, clinician=world.physician, day=day)
    assert day_plan.day_plan_build(actor=world.coordinator, clinician=world.physician, day=day)
    nurse = make_staff(world.riverside, "nora", Role.CLINICIAN, "nurse", "Nora", "Nurse")
    with pytest.raises(PrivilegeDenied, match="may not plan a colleague's home-visit day"):
        day_plan.day_plan_build(actor=nurse, clinician=world.physician, day=day)
    with pytest.raises(PrivilegeDenied):
        day_plan.visit_time_lock(actor=nurse, visit=ScheduledVisit.objects.get(), locked=True)
    assert day_plan.can_plan(world.director, world.physician)
    assert not day_plan.can_plan(nurse, world.physician)
    assert day_plan.can_plan(nurse, nurse)


def test_the_day_plan_settings_are_checked_in_words():
    assert setting_problems("day_plan_road_factor", 0.8) == [
        "The road factor must be a number from 1 to 3."
    ]
    assert setting_problems("day_plan_speed_kmh", 0) == [
        "The average speed must be a number from 5 to 130 km/h."
    ]
    assert setting_problems("day_plan_day_starts", "8am") == [
        "The start of the home-visit day must be a time such as 08:00."
    ]
    assert setting_problems("day_plan_office", {}) == []
    assert setting_problems("day_plan_office", {"name": "", "latitude": 95, "longitude": 0}) == [
        "The office's name must be given, in at most 120 characters.",
        "The office's latitude must be from -90 to 90.",
    ]

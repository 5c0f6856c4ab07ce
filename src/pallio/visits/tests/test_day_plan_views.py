"""The day plan pages: reached from the clinician's day calendar, who opens and changes whose
day, what is audited, the messages for bad input, and the office setting on the program's
settings page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.support.personas import make_staff

from pallio.audit.models import AuditEvent
from pallio.programs.forms import ProgramSettingsForm
from pallio.visits.models import ScheduledVisit
from pallio.visits.services import day_plan
from pallio.visits.tests.day_plan_helpers import home_day, set_office
from pallio.visits.tests.scheduling_helpers import at

pytestmark = pytest.mark.django_db


def url(world: Any, clinician: Any = None) -> str:
    who = clinician or world.physician
    return reverse("visits:day_plan", kwargs={"clinician_id": who.uuid})


def day(world: Any) -> str:
    return at(world, 2, 12).date().isoformat()


def test_the_day_calendar_links_to_the_plan_for_whoever_may_plan_it(world, as_user):
    calendar = reverse("visits:my_schedule") + f"?view=day&date={day(world)}"
    page = as_user(world.physician).get(calendar).content.decode()
    assert "Plan the home visits of this day" in page and url(world) in page
    week = as_user(world.physician).get(calendar.replace("view=day", "view=week"))
    assert "Plan the home visits" not in week.content.decode()
    colleague = reverse("visits:clinician_schedule", kwargs={"clinician_id": world.physician.uuid})
    assert url(world) in as_user(world.director).get(colleague).content.decode()
    assert url(world) not in as_user(world.social_worker).get(colleague).content.decode()


def test_the_page_shows_the_order_times_travel_and_unfit_visits(world, as_user):
    set_office(world)
    visits = home_day(world, count=3, no_geocode=2)
    response = as_user(world.physician).get(url(world), {"date": day(world)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Planned order" in page and "Leave the office" in page and "Total travel" in page
    assert page.count('data-testid="plan-visit"') == 2
    assert "Visits that do not fit" in page and "has no map location" in page
    assert visits[2].patient.full_name in page
    assert "Apply the plan" in page and "Move down" in page
    assert AuditEvent.objects.filter(event="day_plan.read", user_id=world.physician.pk).exists()


def test_moving_a_visit_down_and_numbering_the_order(world, as_user):
    set_office(world)
    home_day(world, count=3)
    client = as_user(world.physician)
    plan = day_plan.day_plan_build(
        actor=world.physician, clinician=world.physician, day=at(world, 2, 12).date()
    )
    order = plan.order
    swapped = [order[1], order[0], order[2]]
    page = client.get(url(world), {"date": day(world), "order": ",".join(swapped)})
    assert "Your order" in page.content.decode()
    typed = {"date": day(world), "order": ",".join(order), "arrange": "1"}
    typed.update({f"position-{vid}": str(3 - i) for i, vid in enumerate(order)})
    response = client.get(url(world), typed)
    assert response.status_code == 302
    assert ",".join(reversed(order)).replace(",", "%2C") in response["Location"]
    typed[f"position-{order[0]}"] = "first"
    response = client.get(url(world), typed, follow=True)
    assert "Give each visit a number" in response.content.decode()


def test_apply_lock_and_available_time_through_the_page(world, as_user):
    set_office(world)
    visits = home_day(world, count=2)
    client = as_user(world.physician)
    plan = day_plan.day_plan_build(
        actor=world.physician, clinician=world.physician, day=at(world, 2, 12).date()
    )
    apply = reverse("visits:day_plan_apply", kwargs={"clinician_id": world.physician.uuid})
    response = client.post(apply, {"date": day(world), "order": ",".join(plan.order)}, follow=True)
    assert "The plan is applied" in response.content.decode()
    moved = ScheduledVisit.objects.get(pk=plan.rows[0].visit.pk)
    assert moved.starts_at == plan.rows[0].arrival
    lock = reverse("visits:lock", kwargs={"scheduled_visit_id": moved.pk})
    response = client.post(lock, {"version": moved.version, "locked": "yes"}, follow=True)
    assert "Time locked" in response.content.decode()
    assert ScheduledVisit.objects.get(pk=moved.pk).time_locked
    other = visits[0] if visits[0].pk != moved.pk else visits[1]
    other.refresh_from_db()
    times = reverse("visits:availability", kwargs={"scheduled_visit_id": other.pk})
    response = client.post(
        times,
        {"version": other.version, "available_from": "15:00", "available_until": "14:00"},
        follow=True,
    )
    assert "must end after it begins" in response.content.decode()
    response = client.post(
        times, {"version": other.version, "available_from": "half past", "available_until": ""}
    )
    assert response.status_code == 302
    response = client.post(
        times,
        {"version": other.version, "available_from": "14:00", "available_until": "16:00"},
        follow=True,
    )
    assert "available time is saved" in response.content.decode()
    assert AuditEvent.objects.filter(event="scheduled_visit.availability").count() == 1
    assert AuditEvent.objects.filter(event="day_plan.apply", user_id=world.physician.pk).exists()


def test_a_stale_order_is_not_applied(world, as_user):
    set_office(world)
    visits = home_day(world, count=2)
    apply = reverse("visits:day_plan_apply", kwargs={"clinician_id": world.physician.uuid})
    response = as_user(world.physician).post(
        apply, {"date": day(world), "order": str(visits[0].pk)}, follow=True
    )
    assert "Nothing was moved" in response.content.decode()
    assert ScheduledVisit.objects.get(pk=visits[0].pk).starts_at == visits[0].starts_at


def test_a_missing_office_and_too_many_visits_are_explained_on_the_page(
    world, as_user, monkeypatch
):
    home_day(world, count=2)
    page = as_user(world.director).get(url(world), {"date": day(world)}).content.decode()
    assert "office is not set" in page and "Home-visit day plans" in page
    set_office(world)
    from pallio.visits import routing

    monkeypatch.setattr(routing, "MAX_STOPS", 1)
    response = as_user(world.director).get(url(world), {"date": day(world)})
    assert response.status_code == 200
    assert "A day plan can take at most 1 visits; this one has 2." in response.content.decode()


def test_who_opens_and_changes_whose_day_plan(world, as_user):
    set_office(world)
    visits = home_day(world, count=1)
    apply = reverse("visits:day_plan_apply", kwargs={"clinician_id": world.physician.uuid})
    lock = reverse("visits:lock", kwargs={"scheduled_visit_id": visits[0].pk})
    # A colleague without the program-wide role: refused in words, nothing changes.
    response = as_user(world.social_worker).get(url(world), {"date": day(world)})
    assert response.status_code == 403
    assert "may not plan a colleague&#x27;s home-visit day" in response.content.decode()
    assert as_user(world.social_worker).post(apply, {"date": day(world)}).status_code == 403
    assert as_user(world.hillside_coordinator).get(url(world)).status_code == 404
    assert as_user(world.privacy).get(url(world)).status_code in (403, 404)
    assert as_user(world.oncall).get(url(world)).status_code == 403
    assert as_user(world.coordinator).get(url(world), {"date": day(world)}).status_code == 200
    nurse = make_staff(world.riverside, "nora", "clinician", "nurse", "Nora", "Nurse")
    assert as_user(nurse).get(url(world, nurse)).status_code == 200  # their own day
    assert as_user(world.social_worker).post(lock, {"locked": "yes"}).status_code in (403, 404)
    assert not ScheduledVisit.objects.get(pk=visits[0].pk).time_locked
    assert not AuditEvent.objects.filter(event="day_plan.apply").exists()
    assert as_user(world.physician).get(url(world) + "?date=2026-13-40").status_code == 200
    assert as_user(world.physician).get(url(world), {"date": "x\x00"}).status_code == 200


def test_the_administrator_sets_the_office_from_an_address_or_a_map_point(world, as_user):
    admin = make_staff(world.riverside, "ada", "program_admin", "administration", "Ada", "Admin")
    client = as_user(admin)
    page = client.get(reverse("programs:settings")).content.decode()
    assert "Home-visit day plans" in page and "Road factor" in page
    form = ProgramSettingsForm(program=world.riverside, staff=[])
    data = {k: v for k, v in form.initial.items() if v is not None}
    data = {k: (v if not isinstance(v, bool) else ("on" if v else "")) for k, v in data.items()}
    bad = {**data, "day_plan_office_name": "Main office", "day_plan_office_line": "1 Nowhere"}
    bad["day_plan_road_factor"] = "0.5"
    bad["day_plan_day_ends"] = "07:00"
    response = client.post(reverse("programs:settings"), bad)
    body = response.content.decode()
    assert "not in the program&#x27;s list of addresses" in body
    world.riverside.refresh_from_db()
    assert world.riverside.setting("day_plan_office") == {}
    bad.update(day_plan_office_latitude="42.36", day_plan_office_longitude="-71.09")
    body = client.post(reverse("programs:settings"), bad).content.decode()
    assert "The road factor must be a number from 1 to 3." in body
    assert "The home-visit day must end after it starts." in body
    good = {**bad, "day_plan_road_factor": "1.4", "day_plan_day_ends": "17:30"}
    client.post(reverse("programs:settings"), good)
    world.riverside.refresh_from_db()
    office = world.riverside.setting("day_plan_office")
    assert (office["name"], office["latitude"], office["longitude"]) == (
        "Main office",
        42.36,
        -71.09,
    )
    assert world.riverside.setting("day_plan_road_factor") == 1.4

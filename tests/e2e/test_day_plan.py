"""The home-visit day plan in the browser: the physician opens the plan of a day of home
visits from the day calendar, sees the order, arrival times, travel and the visit that cannot
fit; moves a visit down, locks a time, applies the plan; and a day without the office set is
explained. At 1280 px and 390 px, axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pallio.visits.models import ScheduledVisit
from pallio.visits.tests.day_plan_helpers import home_day, set_office
from pallio.visits.tests.scheduling_helpers import at

pytestmark = pytest.mark.browser


def both_widths(browsing: Any, page: Any, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_build_reorder_lock_and_apply_a_day_plan(world, browsing, sign_in):
    visits = home_day(world, count=4, no_geocode=3)
    day = at(world, 2, 12).date().isoformat()
    phil = sign_in(world.physician)

    # No office yet: the page says where the program sets it.
    phil.goto(f"/visits/schedule/?view=day&date={day}")
    phil.get_by_test_id("day-plan-link").click()
    expect(phil.get_by_test_id("plan-problem")).to_contain_text("office is not set")
    both_widths(browsing, phil, "no-office")

    set_office(world)
    phil.reload()
    plan = phil.get_by_test_id("plan")
    expect(plan.get_by_test_id("plan-visit")).to_have_count(3)
    expect(phil.get_by_test_id("total-travel")).to_contain_text("km")
    expect(phil.get_by_test_id("unfit")).to_contain_text("has no map location")
    expect(phil.get_by_test_id("unfit")).to_contain_text(visits[3].patient.full_name)
    both_widths(browsing, phil, "planned")

    # Move the first visit down: the order is the clinician's own.
    first = plan.get_by_test_id("plan-visit").first
    name = first.get_by_role("link").first.inner_text()
    first.get_by_role("link", name=f"Move down {name}").click()
    expect(phil.get_by_role("heading", name="Your order")).to_be_visible()
    expect(phil.get_by_test_id("plan-visit").nth(1)).to_contain_text(name)
    both_widths(browsing, phil, "reordered")

    # Apply, then lock the first visit's new time.
    phil.get_by_test_id("apply-plan").click()
    expect(phil.get_by_text("The plan is applied")).to_be_visible()
    second = ScheduledVisit.objects.get(
        patient__given_name=name.split()[0], clinician=world.physician
    )
    times = phil.get_by_test_id("visit-times").filter(has_text=name)
    times.get_by_role("button", name=re.compile(f"^Lock time at .* for {name}$")).click()
    expect(phil.get_by_text("Time locked: a new plan keeps this visit")).to_be_visible()
    assert ScheduledVisit.objects.get(pk=second.pk).time_locked

    # Plan again: the locked time is kept.
    phil.get_by_role("link", name="Plan again (keeps locked times)").click()
    locked_row = phil.get_by_test_id("plan-visit").filter(has_text=name)
    expect(locked_row).to_contain_text("Time locked")
    expect(locked_row).to_contain_text(
        f"{second.starts_at.astimezone(at(world, 0, 0).tzinfo):%H:%M}"
    )
    both_widths(browsing, phil, "locked")

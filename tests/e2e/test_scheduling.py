"""Scheduling in the browser: the nurse navigator adds Alice's home and books a home visit
with the physician; a second booking of the physician at the same time is refused in words;
the visit is moved, then cancelled with a reason; the physician sees the week calendar and the
access notes of the home. At 1280 px and 390 px, axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pallio.visits.models import ScheduledVisit
from pallio.visits.tests.scheduling_helpers import at

pytestmark = pytest.mark.browser


def both_widths(browsing: Any, page: Any, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def local(world: Any, days: int, hour: int, minute: int = 0) -> str:
    return at(world, days, hour, minute).strftime("%Y-%m-%dT%H:%M")


def book(page: Any, world: Any, *, setting: str, place: str | None, start: str, end: str) -> None:
    page.goto(f"/visits/patients/{world.alice.pk}/book/")
    page.get_by_label(re.compile(r"^Clinician")).select_option(str(world.physician.uuid))
    page.get_by_label(re.compile(r"^Where \(setting\)")).select_option(label=setting)
    if place:
        page.get_by_label(re.compile(r"^Place")).select_option(label=place)
    page.get_by_label(re.compile(r"^Starts")).fill(start)
    page.get_by_label(re.compile(r"^Ends")).fill(end)
    page.get_by_label(re.compile(r"^Priority")).select_option(label="Urgent")
    page.get_by_role("button", name="Book the visit").click()


def test_book_refuse_a_double_booking_move_cancel_and_see_the_week(world, browsing, sign_in):
    nina = sign_in(world.navigator)
    nina.goto(f"/visits/patients/{world.alice.pk}/")
    expect(nina.get_by_role("heading", name="Upcoming visits")).to_be_visible()
    nina.get_by_role("link", name="Add a home").click()
    nina.get_by_label(re.compile(r"^Street address")).fill("12 Elm Street")
    nina.get_by_label(re.compile(r"^Town or city")).fill("Cambridge")
    nina.get_by_label(re.compile(r"^Latitude")).fill("42.3651")
    nina.get_by_label(re.compile(r"^Longitude")).fill("-71.104")
    nina.get_by_label(re.compile(r"^Access notes")).fill("Door code 4512. A friendly dog.")
    nina.get_by_role("button", name="Save the home").click()
    expect(nina.get_by_text("Home added")).to_be_visible()
    both_widths(browsing, nina, "book-form")

    book(
        nina,
        world,
        setting="Home",
        place="Home (home)",
        start=local(world, 2, 10),
        end=local(world, 2, 11),
    )
    expect(nina.get_by_text("Visit booked.")).to_be_visible()
    expect(nina.get_by_test_id("scheduled-visit").get_by_text("Urgent")).to_be_visible()
    # The access notes are for the visiting clinician only.
    expect(nina.get_by_text("shown only to the clinician booked on this visit")).to_be_visible()
    both_widths(browsing, nina, "booked-visit")

    # The physician cannot be in two places at once.
    book(
        nina,
        world,
        setting="Video (telehealth)",
        place=None,
        start=local(world, 2, 10, 30),
        end=local(world, 2, 11, 30),
    )
    expect(nina.get_by_text(re.compile(r"cannot be in two places at once"))).to_be_visible()
    both_widths(browsing, nina, "double-booking-refused")
    assert ScheduledVisit.objects.count() == 1

    # A visit ending before it starts.
    book(
        nina,
        world,
        setting="Video (telehealth)",
        place=None,
        start=local(world, 3, 11),
        end=local(world, 3, 10),
    )
    expect(nina.get_by_text("The visit must end after it starts.")).to_be_visible()

    # Move it, then cancel it with a reason.
    visit = ScheduledVisit.objects.get()
    nina.goto(f"/visits/scheduled/{visit.pk}/")
    nina.get_by_label(re.compile(r"^New start")).fill(local(world, 3, 14))
    nina.get_by_label(re.compile(r"^New end")).fill(local(world, 3, 15))
    nina.get_by_role("button", name="Move the visit").click()
    expect(nina.get_by_text("Visit moved.")).to_be_visible()
    visit.refresh_from_db()
    assert visit.starts_at == at(world, 3, 14)

    # The physician's week: the visit, urgent, and the home's access notes on the visit.
    phil = sign_in(world.physician)
    phil.goto("/")
    browsing.nav(phil, "My schedule")
    phil.get_by_role("link", name="Week").click()
    if not phil.get_by_test_id("calendar-visit").count():
        phil.get_by_role("link", name="Next week").click()
    entry = phil.get_by_test_id("calendar-visit").first
    expect(entry).to_contain_text("Alice")
    expect(entry).to_contain_text("Urgent")
    both_widths(browsing, phil, "week-calendar")
    entry.get_by_role("link").click()
    expect(phil.get_by_test_id("access-notes")).to_contain_text("Door code 4512")

    nina.goto(f"/visits/scheduled/{visit.pk}/")
    nina.get_by_role("button", name="Cancel the visit").click()
    expect(
        nina.get_by_text("Say why the visit is cancelled.")
        .or_(nina.get_by_text("This field is required."))
        .first
    ).to_be_visible()
    nina.get_by_label(re.compile(r"^Why is the visit cancelled")).fill("Admitted to hospital")
    nina.get_by_role("button", name="Cancel the visit").click()
    expect(nina.get_by_text("Visit cancelled.")).to_be_visible()
    expect(nina.get_by_text("No visits booked.")).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.cancel_reason == "Admitted to hospital"

"""The calendar feed in the browser: the physician goes from "My schedule" to the calendar feed
page, makes a feed, sees its address once, the address answers with a calendar the icalendar
library reads (the booked visit, by initials), and turning the feed off makes the address a
404. At 1280 px and 390 px, axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from pallio.visits.tests.scheduling_helpers import book

pytestmark = pytest.mark.browser


def both_widths(browsing: Any, page: Any, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_make_see_fetch_and_turn_off_the_calendar_feed(world, browsing, sign_in):
    visit = book(world)
    phil = sign_in(world.physician)
    phil.goto("/visits/schedule/")
    phil.get_by_role("link", name=re.compile("Calendar feed")).click()
    expect(phil.get_by_role("heading", name="Calendar feed", exact=True)).to_be_visible()
    expect(phil.get_by_test_id("feed-status")).to_have_text("You have no calendar feed.")
    both_widths(browsing, phil, "no-feed")

    phil.get_by_role("button", name="Make a calendar feed").click()
    expect(phil.get_by_text("shown only this once")).to_be_visible()
    url = phil.get_by_label("Feed address", exact=True).input_value()
    assert re.search(r"/visits/calendar/[A-Za-z0-9_-]{40,}\.ics$", url), url
    both_widths(browsing, phil, "feed-made")

    response = phil.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    events = list(Calendar.from_ical(response.body()).walk("VEVENT"))
    assert [str(e["UID"]) for e in events] == [f"scheduled-visit-{visit.pk}@pallio"]
    assert str(events[0]["SUMMARY"]) == "Visit A.A. \u00b7 Home"
    assert b"Anders" not in response.body()

    phil.goto("/visits/schedule/calendar-feed/")
    expect(phil.get_by_test_id("feed-status")).to_contain_text("Your feed is on.")
    expect(phil.get_by_test_id("feed-status")).to_contain_text("Last fetched")
    assert url not in phil.content()  # shown once only
    phil.get_by_role("button", name="Turn off the feed").click()
    expect(phil.get_by_text("Calendar feed turned off.")).to_be_visible()
    expect(phil.get_by_test_id("feed-status")).to_have_text("You have no calendar feed.")
    both_widths(browsing, phil, "feed-off")
    assert phil.request.get(url).status == 404

"""The on-call roster in the browser, at 1280 px and 390 px with axe-core: the care
coordinator sees the gaps, adds a slot to the weekly pattern, builds shifts, is told plainly
what is wrong with a bad shift, swaps a shift and cancels one; a clinician sees who is on call
on every page and on the chart."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from pallio.core import clock
from pallio.support import roster
from pallio.support.models import Line

pytestmark = pytest.mark.browser


def check_both_widths(browsing, page, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    overflow = page.evaluate(
        "() => document.querySelector('main').scrollWidth - document.querySelector('main')"
        ".clientWidth"
    )
    assert overflow <= 0, f"{step}: the page is wider than a 390 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def first_line_every_day(world) -> None:
    for weekday in range(7):
        roster.pattern_slot_add(
            actor=world.coordinator,
            line=Line.FIRST,
            weekday=weekday,
            start_time=time(8),
            hours=24,
            user=world.navigator,
        )


def test_the_coordinator_keeps_the_roster(world, browsing, sign_in):
    first_line_every_day(world)
    cora = sign_in(world.coordinator)
    expect(cora.get_by_test_id("on-call-now")).to_contain_text("Backup: Owen Oncall")
    browsing.nav(cora, "On-call roster")
    expect(cora.get_by_role("heading", name="On-call roster")).to_be_visible()
    # Nothing built yet: both lines are uncovered.
    expect(cora.get_by_test_id("gaps")).to_contain_text("First line (nurse)")
    check_both_widths(browsing, cora, "roster-gaps")

    cora.get_by_role("link", name="Weekly pattern and building shifts").click()
    cora.get_by_role("combobox", name="Line").select_option(label="Second line (physician)")
    cora.get_by_role("combobox", name="Day of the week").select_option(label="Monday")
    cora.get_by_label("Starts at").fill("08:00")
    cora.get_by_label("Hours").fill("30")
    cora.get_by_role("combobox", name=re.compile("^Who covers it")).select_option(
        label="Phil Physician (Palliative physician)"
    )
    cora.get_by_role("button", name="Add slot").click()
    expect(cora.get_by_text("A slot lasts from 1 to 24 hours.").first).to_be_visible()
    check_both_widths(browsing, cora, "pattern-bad-hours")
    cora.get_by_label("Hours").fill("24")
    cora.get_by_role("button", name="Add slot").click()
    expect(cora.get_by_text("Slot added to the weekly pattern.")).to_be_visible()
    expect(cora.get_by_test_id("pattern")).to_contain_text("Phil Physician")
    check_both_widths(browsing, cora, "pattern")

    today = clock.today_in(world.riverside.timezone)
    cora.get_by_label("First day").fill(today.isoformat())
    cora.get_by_label("Last day").fill((today + timedelta(days=13)).isoformat())
    cora.get_by_role("button", name="Build shifts").click()
    expect(cora.get_by_text(re.compile(r"\d+ shift\(s\) built from the pattern"))).to_be_visible()
    # Whatever the hour: late in the evening today's slots have already begun.
    expect(
        cora.get_by_test_id("roster-day").filter(has_text="Nina Navigator").first
    ).to_be_visible()

    # A shift by hand that ends before it starts: said plainly, nothing saved.
    cora.get_by_role("link", name="Add a shift").click()
    cora.get_by_role("combobox", name="Line").select_option(label="Second line (physician)")
    cora.get_by_role("combobox", name=re.compile("^Who covers it")).select_option(
        label="Dana Director (Palliative physician)"
    )
    start = (today + timedelta(days=1)).isoformat()
    cora.get_by_label("Starts").fill(f"{start}T17:00")
    cora.get_by_label("Ends").fill(f"{start}T08:00")
    cora.get_by_role("button", name="Add the shift").click()
    expect(cora.get_by_text("The end must be after the start.")).to_be_visible()
    check_both_widths(browsing, cora, "shift-bad-end")
    cora.get_by_label("Ends").fill(f"{(today + timedelta(days=2)).isoformat()}T08:00")
    cora.get_by_role("button", name="Add the shift").click()
    expect(cora.get_by_text("Shift added to the roster.")).to_be_visible()

    # Swap the first of Nina's shifts still to come.
    cora.get_by_role("link", name=re.compile(r"^Swap Nina Navigator's shift")).first.click()
    expect(cora.get_by_test_id("shift-summary")).to_contain_text("Nina Navigator")
    cora.get_by_role("combobox", name=re.compile("^Give the shift to")).select_option(
        label="Owen Oncall (Nurse practitioner / physician assistant)"
    )
    cora.get_by_role("button", name="Swap the shift").click()
    expect(cora.get_by_text("Say why the shift changes hands.")).to_be_visible()
    check_both_widths(browsing, cora, "swap-no-reason")
    cora.get_by_label("Why it changes hands").fill("Nina is at a conference")
    cora.get_by_role("button", name="Swap the shift").click()
    expect(cora.get_by_text("instead of Nina Navigator: Nina is at a conference")).to_be_visible()

    cora.get_by_role("link", name=re.compile(r"^Cancel Nina Navigator's shift")).last.click()
    cora.get_by_label("Why it is cancelled").fill("Covered by the hospice tonight")
    cora.get_by_role("button", name="Cancel the shift").click()
    expect(cora.get_by_text("Shift cancelled.")).to_be_visible()
    expect(cora.get_by_text("Covered by the hospice tonight")).to_be_visible()
    check_both_widths(browsing, cora, "roster-built")


def test_a_clinician_sees_who_is_on_call_and_the_line_number_on_the_chart(world, browsing, sign_in):
    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{world.alice.pk}/")
    card = nina.get_by_test_id("chart-on-call")
    expect(card).to_contain_text("(617) 555-0100")
    expect(card).to_contain_text("Backup: Owen Oncall")
    check_both_widths(browsing, nina, "chart-on-call")
    browsing.nav(nina, "On-call roster")
    expect(nina.get_by_role("link", name="Add a shift")).to_have_count(0)
    check_both_widths(browsing, nina, "roster-read-only")

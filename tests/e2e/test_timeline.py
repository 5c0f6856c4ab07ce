"""The chart's care plan, visit notes and summaries sections, and the patient's timeline
filtered by kind, in the browser at a desktop and a phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pallio.patients.tests.timeline_records import one_of_each

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_the_chart_shows_the_plan_notes_and_summaries(world, browsing, sign_in):
    one_of_each(world)
    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{world.alice.pk}/")

    plan = nina.get_by_test_id("chart-care-plan")
    expect(plan.get_by_role("heading", name="Care plan")).to_be_visible()
    expect(plan).to_contain_text("Active problems: 1")
    expect(plan).to_contain_text("Active goals: 1")
    expect(plan).to_contain_text("Next review:")
    notes = nina.get_by_test_id("chart-notes")
    expect(notes.get_by_role("heading", name="Latest visit notes")).to_be_visible()
    expect(notes).to_contain_text("Nurse visit note")
    expect(notes).to_contain_text("By Nina Navigator")
    expect(notes.get_by_text("entered in error", exact=True)).to_be_visible()
    expect(notes).to_contain_text("Entered in error by Nina Navigator: Documented on the wrong")
    summaries = nina.get_by_test_id("chart-summaries")
    expect(summaries.get_by_role("heading", name="Summaries sent")).to_be_visible()
    expect(summaries).to_contain_text("Referring clinician (Dr Rita Referrer)")
    expect(summaries).to_contain_text("Mailbox unavailable")
    browsing.shot(nina, "chart-1280")
    browsing.axe_check(nina, "chart with plan, notes and summaries")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "chart-390")
    nina.set_viewport_size(DESKTOP)

    # The link opens the care plan; the timeline of plan changes lists what was added.
    plan.get_by_role("link", name="Open the care plan").click()
    expect(nina).to_have_url(re.compile(rf"/plans/{world.alice.pk}/$"))
    expect(nina.get_by_role("heading", name="Care plan", exact=True)).to_be_visible()
    nina.goto(f"{browsing.base_url}/patients/{world.alice.pk}/timeline/?kind=plan")
    expect(nina.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(nina.get_by_label("Care plan changes")).to_be_checked()
    expect(nina.get_by_test_id("timeline")).to_contain_text("Problem added: Cancer pain")


def test_the_timeline_filters_by_kind(world, browsing, sign_in):
    one_of_each(world)
    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{world.alice.pk}/")
    nina.get_by_role("link", name="Open the timeline").click()
    expect(nina.get_by_role("heading", name="Timeline")).to_be_visible()
    events = nina.get_by_test_id("timeline-event")
    expect(nina.get_by_test_id("timeline")).to_contain_text("Referral received (provider)")
    expect(nina.get_by_test_id("timeline")).to_contain_text("Discussed at the team meeting")
    expect(nina.get_by_test_id("timeline")).to_contain_text("Admitted to hospital: Mercy General")
    browsing.shot(nina, "timeline-1280")
    browsing.axe_check(nina, "timeline, everything")

    nina.get_by_label("Visits and notes").check()
    nina.get_by_label("Visit summaries").check()
    nina.get_by_role("button", name="Apply filters").click()
    expect(nina.get_by_test_id("timeline-filter-summary")).to_have_text(
        "Showing visits and notes, visit summaries."
    )
    kinds = set(events.evaluate_all("items => items.map(i => i.dataset.kind)"))
    assert kinds == {"visit", "summary"}
    expect(nina.get_by_test_id("timeline")).not_to_contain_text("Referral received")
    struck = events.filter(has_text="Documented on the wrong patient").first
    expect(struck).to_contain_text("entered in error")
    expect(nina.get_by_text("could not be sent").first).to_be_visible()
    browsing.shot(nina, "timeline-visits-1280")
    browsing.axe_check(nina, "timeline, visits and summaries")

    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "timeline-visits-390")
    # At a phone width the filters stack above the list and nothing scrolls sideways.
    width = nina.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide at a 390px screen"

    nina.get_by_role("link", name="Show everything").click()
    expect(nina.get_by_test_id("timeline")).to_contain_text("Referral received (provider)")
    expect(nina.get_by_label("Visits and notes")).not_to_be_checked()

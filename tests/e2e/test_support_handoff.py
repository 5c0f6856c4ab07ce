"""The 24/7 line's operations in the browser: a pain call with a red flag escalated to the
physician, who acknowledges it; the morning hand-off with its follow-ups and repeated
callers; the line's measures. At 1280 px and 390 px, with axe-core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from pallio.core import clock
from pallio.support.escalation import calls_escalate
from pallio.support.handoff import day_shift_start, handoff_day, handoff_follow_ups_build
from pallio.support.models import CallReason, Disposition, Line
from pallio.support.tests.ops_samples import make_call, make_shift

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _pages(settings: Any) -> None:
    settings.PALLIO_SMS_BACKEND = "pallio.support.tests.ops_samples.RecordingSms"


def check_both_widths(browsing: Any, page: Any, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    browsing.axe_check(page, f"{step} at 1280 px")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # as a phone loads it (the charts size themselves on load)
    browsing.shot(page, f"{step}-390")
    browsing.axe_check(page, f"{step} at 390 px")
    overflow = page.evaluate(
        "() => document.querySelector('main').scrollWidth - document.querySelector('main')"
        ".clientWidth"
    )
    assert overflow <= 0, f"{step}: the page is wider than a 390 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_red_flag_pain_call_is_escalated_to_the_physician_who_acknowledges_it(
    world, browsing, sign_in
):
    now = clock.now()
    make_shift(world, Line.SECOND, world.physician, now - timedelta(hours=2))
    make_call(
        world,
        received_at=now - timedelta(minutes=4),
        red_flag=True,
        story="Pain 9 of 10, new weakness in both legs",
    )
    calls_escalate(program=world.riverside)
    assert [m.to for m in mail.outbox] == [["phil@example.org"]]

    page = sign_in(world.physician)
    page.goto("/support/escalations/")
    card = page.get_by_test_id("escalated-call")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Alice Anders")
    expect(card).to_contain_text("Red flag")
    expect(card).to_contain_text("Second line paged (red flag in triage)")
    check_both_widths(browsing, page, "escalated")

    page.get_by_role("button", name="I have it: acknowledge").click()
    expect(page.get_by_text("Acknowledged: the call no longer escalates.")).to_be_visible()
    expect(page.get_by_test_id("no-escalations")).to_be_visible()
    browsing.shot(page, "acknowledged")


def test_the_morning_handoff_and_the_line_measures(world, browsing, sign_in):
    from pallio.careplans.models import IdtTeam

    program = world.riverside
    day = handoff_day(program)
    morning = day_shift_start(program, day)
    team = IdtTeam.objects.create(program=program, name="North team")
    team.members.add(world.physician)
    make_call(
        world,
        received_at=morning - timedelta(hours=6),
        disposition=Disposition.NURSE_VISIT,
        story="Breathless, settled with the nurse's visit",
    )
    make_call(
        world,
        received_at=morning - timedelta(hours=3),
        reason=CallReason.MEDICATION,
        called_back_at=morning - timedelta(hours=3) + timedelta(minutes=7),
        disposition=Disposition.MEDICATION_PER_ORDERS,
    )
    make_call(
        world,
        patient=world.bob,
        received_at=morning - timedelta(hours=2),
        reason=CallReason.CAREGIVER,
        called_back_at=morning - timedelta(hours=2) + timedelta(minutes=12),
        disposition=Disposition.ADVICE,
    )
    make_call(world, patient=None, received_at=morning - timedelta(hours=1))
    handoff_follow_ups_build(program=program, now=morning, day=day)

    page = sign_in(world.coordinator)
    page.goto("/support/handoff/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Support line hand-off")
    expect(page.get_by_test_id("repeated-callers")).to_contain_text("Alice Anders")
    expect(page.get_by_test_id("repeated-callers")).to_contain_text("2 calls")
    table = page.get_by_test_id("handoff-calls")
    expect(table).to_contain_text("Follow up last night's nurse visit")
    expect(table).to_contain_text("Call the caregiver back")
    expect(table).to_contain_text("No patient matched")
    check_both_widths(browsing, page, "handoff")

    page.get_by_label("Team").select_option(label="North team")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("North team")
    expect(page.get_by_test_id("handoff-calls")).not_to_contain_text("Bob Brown")
    browsing.shot(page, "handoff-team")

    page.goto("/support/measures/")
    expect(page.get_by_test_id("line-measures")).to_contain_text("Time to callback, median")
    expect(page.locator("#hour-chart")).to_be_visible()
    check_both_widths(browsing, page, "measures")

"""The privacy officer's view of denied access, in the browser: a clinician off the care team
opens a patient's chart again and again, and the privacy officer finds the refusals listed by
user and the security alert they raised."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_privacy_officer_sees_refusals_by_user_and_the_alert(world, browsing, sign_in):
    world.riverside.settings = {"denials_alert_threshold": 3, "denials_alert_window_minutes": 10}
    world.riverside.save()

    sam = sign_in(world.social_worker)  # a clinician, not on Alice's care team
    for _ in range(3):
        response = sam.goto(f"/patients/{world.alice.pk}/")
        assert response is not None and response.status == 404
    expect(sam.get_by_text(world.alice.family_name)).to_have_count(0)

    priya = sign_in(world.privacy)
    browsing.nav(priya, "Audit trail")
    priya.get_by_role("link", name="Denied access by user").click()
    expect(priya.get_by_role("heading", name="Denied access", exact=True)).to_be_visible()

    alerts = priya.get_by_test_id("security-alert")
    expect(alerts).to_have_count(1)
    expect(alerts.first).to_contain_text("sam")
    expect(alerts.first).to_contain_text("Waiting to be sent")
    rows = priya.get_by_test_id("denial-row")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("cell").nth(0)).to_have_text("sam")
    expect(rows.first.get_by_role("cell").nth(1)).to_have_text("3")
    browsing.shot(priya, "denials")
    browsing.axe_check(priya, "denials page")

    priya.set_viewport_size({"width": 390, "height": 844})
    expect(rows.first).to_be_visible()
    assert priya.evaluate("document.documentElement.scrollWidth") <= 390, "page wider than phone"
    browsing.shot(priya, "denials-phone")
    priya.set_viewport_size({"width": 1280, "height": 900})

    priya.get_by_role("link", name="Refusals of sam").click()
    expect(priya.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(priya.get_by_label("Outcome")).to_have_value("denied")
    events = priya.get_by_test_id("audit-row")
    expect(events).to_have_count(3)
    for i in range(3):
        expect(events.nth(i)).to_contain_text("Was refused a page")
        expect(events.nth(i)).to_contain_text("Denied")
    browsing.shot(priya, "denials-of-sam")
    browsing.axe_check(priya, "audit trail filtered to refusals")

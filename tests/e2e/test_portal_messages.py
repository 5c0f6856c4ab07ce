"""Secure messages in the browser: a patient writes from a 360 px phone, the nurse navigator
finds it in her inbox at 1280 px and answers, the patient sees the answer and that the team
read her message; a message that reads like an emergency shows the 24/7 number and 911 at
once. Every page is checked with axe-core at both widths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PORTAL_PHONE = {"width": 360, "height": 780}


@pytest.fixture(autouse=True)
def _alert_rules(world: Any) -> None:
    """A browser test ends with a flush, which empties the alert rules: load them again."""
    from pallio.assessments.services import alert_rules_sync_defaults

    alert_rules_sync_defaults()


def portal_sign_in(browsing: Any, user: Any) -> Any:
    from pallio.portal.tests.factories import PORTAL_PASSWORD

    page = browsing.new_page()
    page.set_viewport_size(PORTAL_PHONE)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your care")).to_be_visible()
    return page


def fits(page: Any) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the window"


def check(browsing: Any, page: Any, step: str) -> None:
    fits(page)
    browsing.shot(page, step)
    browsing.axe_check(page, step)


def test_a_patient_writes_the_navigator_answers_and_the_patient_sees_it_was_read(
    world, browsing, sign_in
):
    from pallio.portal.tests.factories import patient_account

    alice = portal_sign_in(browsing, patient_account(world.alice))
    alice.get_by_role("link", name="Messages with the team").click()
    # The list has loaded (the click does not wait for the new page).
    expect(alice.get_by_role("link", name="Write a new message")).to_be_visible()
    check(browsing, alice, "portal-messages-empty-360")
    alice.get_by_role("link", name="Write a new message").click()
    alice.get_by_label("What is it about?").fill("Visit on Thursday")
    alice.get_by_label("Your message").fill("Could the nurse come in the afternoon instead?")
    check(browsing, alice, "portal-new-message-360")
    alice.get_by_role("button", name="Send").click()
    expect(alice.get_by_role("heading", name="Visit on Thursday")).to_be_visible()
    expect(alice.get_by_test_id("read-receipt")).to_have_text("Not read by the team yet")
    expect(alice.get_by_test_id("emergency-advice")).to_have_count(0)
    check(browsing, alice, "portal-thread-sent-360")

    nina = sign_in(world.navigator)
    browsing.nav(nina, "Messages")
    row = nina.get_by_test_id("inbox-thread").filter(has_text="Visit on Thursday")
    expect(row).to_contain_text("Alice Anders")
    expect(row).to_contain_text("new")
    check(browsing, nina, "staff-inbox-1280")
    row.get_by_role("link", name="Visit on Thursday").click()
    expect(nina.get_by_text("Could the nurse come in the afternoon instead?")).to_be_visible()
    nina.get_by_label("Your answer").fill("Yes: Thursday at 2 pm. Nina")
    check(browsing, nina, "staff-thread-1280")
    nina.get_by_role("button", name="Send answer").click()
    expect(nina.get_by_text("Yes: Thursday at 2 pm. Nina")).to_be_visible()

    alice.reload()
    expect(alice.get_by_text("Yes: Thursday at 2 pm. Nina")).to_be_visible()
    expect(alice.get_by_test_id("read-receipt").first).to_have_text(
        re.compile(r"^Read by the team at \d\d:\d\d$")
    )
    check(browsing, alice, "portal-thread-answered-360")
    # The navigator sees that the patient read the answer.
    nina.reload()
    expect(nina.get_by_test_id("read-receipt").last).to_contain_text("Read by Alice Anders")


def test_an_emergency_message_shows_the_24_7_number_and_911_at_once(world, browsing, sign_in):
    from pallio.assessments.models import Alert
    from pallio.portal.tests.factories import patient_account

    alice = portal_sign_in(browsing, patient_account(world.alice))
    alice.goto(f"/portal/{world.alice.pk}/messages/new/")
    alice.get_by_label("What is it about?").fill("Tonight")
    alice.get_by_label("Your message").fill("I fell in the bathroom and I can't get up")
    alice.get_by_role("button", name="Send").click()
    advice = alice.get_by_test_id("emergency-advice")
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("call 911")
    expect(advice.get_by_role("link", name="617-555-0100")).to_have_attribute(
        "href", "tel:617-555-0100"
    )
    check(browsing, alice, "portal-emergency-360")
    assert Alert.objects.filter(patient=world.alice, rule_key="message-emergency").exists()

    nina = sign_in(world.navigator)
    browsing.nav(nina, "Alerts")
    expect(nina.get_by_text(re.compile("Message from the portal reads like an emergency"))
           .first).to_be_visible()  # fmt: skip

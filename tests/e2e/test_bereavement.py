"""Bereavement follow-up in the browser: the social worker opens the worklist, records the
one-month call with the family from it (a date in the future refused first), and sees the
next contact, at desk and phone widths, axe-core clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pallio.core import clock
from pallio.episodes.models import BereavementContact
from pallio.episodes.services import care_team_add
from pallio.episodes.tests.bereavement_samples import bereaved

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def test_record_a_bereavement_call_from_the_worklist(world, browsing, sign_in):
    follow_up = bereaved(world)  # alice died 40 days ago; her son Andrew is on record
    care_team_add(
        actor=None, episode=world.alice.episodes.get(status="active"), user=world.social_worker
    )
    sam = sign_in(world.social_worker)
    browsing.nav(sam, "Bereavement")
    expect(sam.get_by_role("heading", name="Bereavement follow-up")).to_be_visible()
    rows = sam.get_by_test_id("bereavement-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Condolence card")
    expect(rows.first).to_contain_text("overdue")
    browsing.shot(sam, "worklist-1280")
    browsing.axe_check(sam, "bereavement worklist")
    sam.set_viewport_size(PHONE)
    browsing.shot(sam, "worklist-390")
    sam.set_viewport_size(DESK)

    call = rows.filter(has_text="Call at 1 month")
    call.get_by_role("link", name="Record call at 1 month for the family of Alice Anders").click()
    expect(sam.get_by_role("heading", name="Call at 1 month")).to_be_visible()
    expect(sam.get_by_label("Family member")).to_have_value(
        str(world.alice.healthcare_agents.get().pk)
    )
    expect(sam.get_by_label("How")).to_have_value("call")
    tomorrow = clock.today_in(world.riverside.timezone) + timedelta(days=1)
    sam.get_by_label("Date of the contact").fill(tomorrow.isoformat())
    sam.get_by_label("Outcome").select_option(label="Reached the family")
    sam.get_by_label("Notes").fill("Andrew is sleeping better; <b>asked</b> about the group.")
    sam.get_by_role("button", name="Record the contact").click()
    expect(sam.get_by_text("The date cannot be in the future.")).to_be_visible()
    assert BereavementContact.objects.filter(follow_up=follow_up, status="done").count() == 0
    browsing.axe_check(sam, "contact form with an error")

    today = clock.today_in(world.riverside.timezone)
    sam.get_by_label("Date of the contact").fill(today.isoformat())
    browsing.shot(sam, "contact-form")
    sam.get_by_role("button", name="Record the contact").click()
    # The card, still not sent, comes first: it is the next contact.
    expect(
        sam.get_by_text("Call at 1 month recorded. Next contact: Condolence card")
    ).to_be_visible()
    expect(sam.get_by_test_id("next-contact")).to_contain_text("Condolence card")
    done = sam.get_by_test_id("contact-row").filter(has_text="Call at 1 month")
    expect(done).to_contain_text("Telephone call with Andrew Anders by Sam Social")
    expect(done).to_contain_text("<b>asked</b>")  # shown as text, never as markup
    browsing.shot(sam, "follow-up-1280")
    browsing.axe_check(sam, "bereavement follow-up")
    sam.set_viewport_size(PHONE)
    browsing.shot(sam, "follow-up-390")

    contact = BereavementContact.objects.get(follow_up=follow_up, sequence=2)
    assert (contact.status, contact.kind, contact.outcome, contact.done_by) == (
        "done",
        "call",
        "reached",
        world.social_worker,
    )
    sam.set_viewport_size(DESK)
    browsing.nav(sam, "Bereavement")
    expect(sam.get_by_test_id("bereavement-row")).to_have_count(1)
    expect(sam.get_by_test_id("bereavement-row")).to_contain_text("Condolence card")
    expect(sam.get_by_test_id("bereavement-row")).to_contain_text("Condolence card")

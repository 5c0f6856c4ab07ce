"""The allergy list in the browser: a physician records that a patient has no known allergies,
then learns of one, records it with its risk, and sees it in the header of every chart page;
a wrong entry comes off the list only with a reason. At phone and desktop widths."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from pallio.medications.models import Allergy

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_record_allergies_and_see_them_on_the_chart(
    world: Any, browsing: Any, sign_in: Any, width: int
):
    phil = sign_in(world.physician)
    phil.set_viewport_size({"width": width, "height": 900})
    phil.goto(f"/medications/patients/{world.alice.pk}/")
    expect(phil.get_by_test_id("allergies-not-recorded")).to_be_visible()
    phil.get_by_role("button", name="Record: no known allergies").click()
    expect(phil.get_by_test_id("no-known-allergies")).to_contain_text("No known allergies")

    # An empty form is refused with the reason, and nothing is written.
    phil.get_by_text("Record an allergy").click()
    phil.get_by_role("button", name="Record the allergy").click()
    expect(phil.get_by_text("Say what the patient is allergic to.")).to_be_visible()
    assert not Allergy.objects.filter(substance__gt="").exists()

    phil.get_by_label("Allergic to").fill("Penicillin")
    phil.get_by_label("Kind").select_option(label="Medication")
    phil.get_by_label("Risk").select_option(label="High risk (life-threatening reaction possible)")
    phil.get_by_label("Reaction (optional)").fill("Swelling of the throat")
    phil.get_by_role("button", name="Record the allergy").click()
    expect(phil.get_by_text("Penicillin added to the allergy list.")).to_be_visible()
    row = phil.get_by_test_id("allergy").filter(has_text="Penicillin")
    expect(row).to_contain_text("high risk")
    expect(phil.get_by_test_id("no-known-allergies")).to_have_count(0)
    assert phil.evaluate("() => document.documentElement.scrollWidth") <= width
    browsing.shot(phil, f"allergies-{width}")
    browsing.axe_check(phil, f"allergy list {width}")

    # Every chart page carries the allergy in its header.
    phil.goto(f"/patients/{world.alice.pk}/")
    expect(phil.get_by_test_id("chart-header").get_by_test_id("allergies")).to_contain_text(
        "Penicillin"
    )
    browsing.shot(phil, f"chart-header-allergies-{width}")

    # Taking it off the list needs a reason.
    phil.goto(f"/medications/patients/{world.alice.pk}/")
    row = phil.get_by_test_id("allergy").filter(has_text="Penicillin")
    row.get_by_text("Take Penicillin off the list").click()
    row.get_by_label("Why it comes off the list").select_option(label="Entered in error")
    row.get_by_label("Reason").fill("Recorded for the wrong patient")
    row.get_by_role("button", name="Take off the list").click()
    expect(phil.get_by_text("Penicillin taken off the allergy list.")).to_be_visible()
    expect(phil.get_by_test_id("allergies-not-recorded")).to_be_visible()
    assert Allergy.objects.get(substance="Penicillin").status == "entered-in-error"
    browsing.axe_check(phil, f"allergy list emptied {width}")

"""The referral reaches the care team: the navigator reads what the referrer wrote on the
chart, adds one of the referrer's medications to the medication list after checking it, and
records another as not taken."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pallio.referrals.tests.factories import SUMMARY, enrolled_referral

pytestmark = pytest.mark.browser

NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def test_navigator_reconciles_the_referral_medications_from_the_chart(world, browsing, sign_in):
    referral = enrolled_referral(world)
    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{referral.patient.pk}/")
    section = nina.get_by_test_id("enrollment-referral")
    expect(section.get_by_role("heading", name="From the referral")).to_be_visible()
    expect(section.get_by_test_id("referral-summary")).to_have_text(SUMMARY)
    expect(section).to_contain_text("Dr. Osler")
    expect(section).to_contain_text("Mercy Oncology")
    expect(section.get_by_test_id("to-reconcile")).to_have_text("3 to reconcile")
    expect(section.get_by_role("link", name="clinic letter.pdf")).to_be_visible()
    for size, step in ((WIDE, "chart-1280"), (NARROW, "chart-390")):
        nina.set_viewport_size(size)
        browsing.shot(nina, step)
    browsing.axe_check(nina, "chart with the referral")
    nina.set_viewport_size(WIDE)

    section.get_by_role(
        "link", name=re.compile(r"^Add to medication list\W+Oxycodone 10 mg PO q4h PRN pain$")
    ).click()
    expect(nina.get_by_test_id("listed-text")).to_have_text("Oxycodone 10 mg PO q4h PRN pain")
    # The form starts from what the referrer wrote; nothing is on the list yet.
    expect(nina.get_by_label("Medication", exact=True)).to_have_value("oxycodone")
    dose = nina.get_by_label("Dose each time", exact=False)
    expect(dose).to_have_value("10")
    expect(nina.get_by_label("Doses per day")).to_have_value("6")
    expect(nina.get_by_label("As needed (PRN)")).to_be_checked()
    expect(nina.get_by_label("Route")).to_have_value("oral")
    for size, step in ((WIDE, "reconcile-1280"), (NARROW, "reconcile-390")):
        nina.set_viewport_size(size)
        browsing.shot(nina, step)
    browsing.axe_check(nina, "reconcile a medication")
    nina.set_viewport_size(WIDE)
    # The daughter says the dose was halved last week: the nurse corrects it before adding.
    dose.fill("5")
    nina.get_by_role("button", name="Add to medication list").click()

    expect(nina.get_by_text("Added to the medication list: Oxycodone")).to_be_visible()
    section = nina.get_by_test_id("enrollment-referral")
    expect(section.get_by_test_id("to-reconcile")).to_have_text("2 to reconcile")
    expect(section).to_contain_text("Added to the medication list as Oxycodone")

    section.get_by_role(
        "link", name=re.compile(r"^Not taking \/ skip\W+Lorazepam 0.5 mg PO at bedtime$")
    ).click()
    nina.get_by_role("button", name="Record as not taking").click()
    expect(nina.get_by_text("This field is required.")).to_be_visible()
    nina.get_by_label("Why is it not going on the medication list?").fill(
        "Stopped by the oncologist in May"
    )
    nina.get_by_role("button", name="Record as not taking").click()
    section = nina.get_by_test_id("enrollment-referral")
    expect(section).to_contain_text("Not taking: Stopped by the oncologist in May")
    expect(section.get_by_test_id("to-reconcile")).to_have_text("1 to reconcile")
    for size, step in ((WIDE, "chart-reconciled-1280"), (NARROW, "chart-reconciled-390")):
        nina.set_viewport_size(size)
        browsing.shot(nina, step)
    browsing.axe_check(nina, "chart after reconciling")

    nina.goto(f"/medications/patients/{referral.patient.pk}/")
    rows = nina.get_by_test_id("medication-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Oxycodone")
    expect(rows.first).to_contain_text("5 mg")

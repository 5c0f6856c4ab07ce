"""The medication list in the browser: a nurse navigator records a high palliative dose through
the confirm-with-reason step, types in an opioid combination Pallio recognises and a drug it
does not, and reads the MME totals with what they leave out, at desktop and phone widths."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from pallio.medications.models import MedicationStatement

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _alert_rules(world: Any) -> None:
    """Each browser test ends with a flush, which empties the alert rules: load them again."""
    from pallio.assessments.services import alert_rules_sync_defaults

    alert_rules_sync_defaults()


def fill_medication(page: Any, **fields: str) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Add"))
    if "catalogue" in fields:
        form.get_by_label("Medication", exact=True).select_option(label=fields["catalogue"])
    if "typed" in fields:
        form.get_by_label("Other medication name").fill(fields["typed"])
    if "dose" in fields:
        form.get_by_label("Dose each time", exact=False).fill(fields["dose"])
    if "per_day" in fields:
        form.get_by_label("Doses per day").fill(fields["per_day"])
    if "route" in fields:
        form.get_by_label("Route").select_option(label=fields["route"])


def test_a_high_dose_is_recorded_with_a_confirmed_reason(world: Any, browsing: Any, sign_in: Any):
    nina = sign_in(world.navigator)
    nina.goto(f"/medications/patients/{world.alice.pk}/")
    expect(nina.get_by_test_id("mme-scheduled")).to_have_text("Not on an opioid.")

    # Above the plausible maximum: the form asks for a confirmation and a reason.
    fill_medication(
        nina, catalogue="Morphine (opioid)", dose="250", per_day="6", route="By mouth (oral)"
    )
    nina.get_by_role("button", name="Add").click()
    confirm = nina.get_by_test_id("confirm-high-dose")
    expect(confirm).to_be_visible()
    expect(nina.get_by_role("alert")).to_contain_text("Nothing has been saved yet")
    expect(confirm).to_contain_text("250 mg in one dose is above the usual maximum of 200 mg")
    assert MedicationStatement.objects.count() == 0
    browsing.shot(nina, "confirm-asked")
    browsing.axe_check(nina, "medication list asking to confirm a high dose")

    # Ticking without a reason is not enough.
    confirm.get_by_label("I confirm this dose is intended").check()
    nina.get_by_role("button", name="Add").click()
    expect(nina.get_by_text("Give the reason for the high dose.")).to_be_visible()
    assert MedicationStatement.objects.count() == 0

    nina.get_by_label("Reason for the high dose").fill("Terminal phase; agreed with the team")
    nina.get_by_role("button", name="Add").click()
    expect(nina.get_by_text("Medication added.")).to_be_visible()
    row = nina.get_by_test_id("medication-row").filter(has_text="Morphine")
    expect(row).to_contain_text("High dose confirmed: Terminal phase; agreed with the team")
    expect(nina.get_by_test_id("mme-scheduled")).to_contain_text("1,500 MME a day")
    assert MedicationStatement.objects.get().high_dose_reason.startswith("Terminal phase")

    # A typed combination is an opioid the totals leave out; an unknown drug awaits a pharmacist.
    fill_medication(nina, typed="Oxycodone/APAP 5/325", dose="1", per_day="4")
    nina.get_by_role("button", name="Add").click()
    expect(nina.get_by_text("Medication added.")).to_be_visible()
    fill_medication(nina, typed="Zzzumab 100 mg")
    nina.get_by_role("button", name="Add").click()
    expect(nina.get_by_text("Medication added.")).to_be_visible()
    expect(nina.get_by_test_id("mme-incomplete")).to_contain_text(
        "Oxycodone/APAP 5/325: opioid not on the medication list, so not converted"
    )
    expect(nina.get_by_test_id("no-bowel-regimen")).to_be_visible()
    expect(
        nina.get_by_test_id("medication-row")
        .filter(has_text="Zzzumab")
        .get_by_test_id("pharmacist-review")
    ).to_have_text("for pharmacist review")
    browsing.shot(nina, "list-desktop")
    browsing.axe_check(nina, "medication list")

    nina.set_viewport_size({"width": 390, "height": 844})
    nina.reload()
    expect(nina.get_by_test_id("mme-incomplete")).to_be_visible()
    expect(nina.get_by_role("button", name="Add")).to_be_visible()
    # Nothing spills sideways out of the page at phone width; the table scrolls in its box.
    assert nina.evaluate("() => document.documentElement.scrollWidth") <= 390
    browsing.shot(nina, "list-phone")
    browsing.axe_check(nina, "medication list at phone width")

    # The chart says the same in its assessment section.
    nina.goto(f"/patients/{world.alice.pk}/")
    expect(nina.get_by_test_id("medications-section")).to_contain_text(
        "These totals are incomplete."
    )
    expect(nina.get_by_test_id("medications-section")).to_contain_text(
        "For pharmacist review: Zzzumab 100 mg"
    )

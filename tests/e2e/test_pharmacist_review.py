"""The pharmacist's review list in the browser: a pharmacist of the program, on nobody's care
team, finds a drug a nurse typed in that Pallio does not recognise, marks it reviewed with a
note, and the patient's medication list then says who reviewed it; at desktop and phone widths."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.medications.models import MedicationStatement
from pallio.medications.services import MedicationInput, medication_add

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _alert_rules(world: Any) -> None:
    """Each browser test ends with a flush, which empties the alert rules: load them again."""
    from pallio.assessments.services import alert_rules_sync_defaults

    alert_rules_sync_defaults()


def test_a_pharmacist_marks_a_typed_drug_reviewed(world: Any, browsing: Any, sign_in: Any):
    medication_add(
        actor=world.navigator,
        patient=world.alice,
        data=MedicationInput(free_text="Zzzumab 100 mg", dose_amount="1", route="oral"),
    )
    medication_add(
        actor=world.hillside_nurse,
        patient=world.hana,
        data=MedicationInput(free_text="Hillimab"),
    )
    pia = make_staff(world.riverside, "pia", Role.CLINICIAN, "pharmacist", "Pia", "Pharm")
    page = sign_in(pia)
    browsing.nav(page, "Medication review")
    expect(page.get_by_role("heading", name="Medications for pharmacist review")).to_be_visible()
    item = page.get_by_test_id("review-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Zzzumab 100 mg")
    expect(item).to_contain_text("Alice Anders")
    expect(item).to_contain_text("Dose: 1 · Route: By mouth (oral)")
    expect(item).to_contain_text("Added by Nina Navigator on")
    expect(page.get_by_text("Hillimab")).to_have_count(0)
    browsing.shot(page, "list-desktop")
    browsing.axe_check(page, "pharmacist review list")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("button", name="Mark Zzzumab 100 mg reviewed")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    browsing.shot(page, "list-phone")
    browsing.axe_check(page, "pharmacist review list at phone width")

    page.set_viewport_size({"width": 1280, "height": 900})
    item.get_by_label("Note (optional)").fill("Herbal product; no interaction found")
    item.get_by_role("button", name="Mark Zzzumab 100 mg reviewed").click()
    expect(page.get_by_text("Zzzumab 100 mg marked reviewed.")).to_be_visible()
    expect(page.get_by_test_id("review-empty")).to_have_text("No medication is waiting for review.")
    browsing.shot(page, "reviewed")
    browsing.axe_check(page, "pharmacist review list, emptied")
    row = MedicationStatement.objects.get(display="Zzzumab 100 mg")
    assert row.reviewed_by == pia and row.review_note == "Herbal product; no interaction found"

    nina = sign_in(world.navigator)
    # Not even inside a closed group of the main menu.
    expect(nina.get_by_role("link", name="Medication review", include_hidden=True)).to_have_count(0)
    nina.goto(f"/medications/patients/{world.alice.pk}/")
    medication = nina.get_by_test_id("medication-row").filter(has_text="Zzzumab")
    expect(medication.get_by_test_id("pharmacist-reviewed")).to_contain_text(
        "Reviewed by Pia Pharm on"
    )
    expect(medication.get_by_test_id("pharmacist-review")).to_have_count(0)

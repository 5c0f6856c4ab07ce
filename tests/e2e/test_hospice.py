"""Hospice in the browser: from the "consider a hospice conversation" worklist to the
patient's eligibility aid, a referral sent with its hand-off package, refused answers that
change nothing, and the admission that discharges the patient to hospice, at desk and phone
widths."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare, HospiceReferral
from pallio.episodes.tests.hospice_samples import PPI_7_5, report

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def test_refer_to_hospice_through_to_discharge(world, browsing, sign_in):
    report(world, world.alice, "ppi", PPI_7_5)
    today = clock.today_in(world.riverside.timezone)
    nina = sign_in(world.navigator)
    browsing.nav(nina, "Hospice")
    candidate = nina.get_by_test_id("hospice-candidate").filter(has_text="Alice Anders")
    expect(candidate).to_contain_text("PPI 7.5")
    browsing.shot(nina, "worklist")
    browsing.axe_check(nina, "hospice worklist")
    candidate.get_by_role("link", name="Alice Anders").click()

    expect(nina.get_by_test_id("never-certifies")).to_contain_text(
        "This aid does not certify eligibility for hospice."
    )
    expect(nina.get_by_test_id("prognosis-flags")).to_contain_text("PPI 7.5")
    expect(nina.get_by_role("link", name="Goals of care and advance care planning")).to_be_visible()
    browsing.shot(nina, "aid-1280")
    browsing.axe_check(nina, "eligibility aid")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "aid-390")
    nina.set_viewport_size(DESK)

    # A referral without an agency is refused in plain words and nothing is written.
    nina.get_by_text("Refer to a hospice").click()
    nina.get_by_label("Agency email for the hand-off package").fill("intake at bayside")
    nina.get_by_role("button", name="Send referral").click()
    expect(nina.get_by_text("This field is required.")).to_be_visible()
    browsing.shot(nina, "referral-refused")
    assert not HospiceReferral.objects.exists()
    nina.get_by_label("Hospice agency").fill("Bayside Hospice")
    nina.get_by_label("Agency phone").fill("617-555-0190")
    nina.get_by_label("Note for the hospice").fill("Daughter O'Brien is the main contact.")
    nina.get_by_role("button", name="Send referral").click()
    expect(nina.get_by_text("Enter the agency's email address, such as")).to_be_visible()
    assert not HospiceReferral.objects.exists()
    nina.get_by_label("Agency email for the hand-off package").fill("intake@bayside.example.org")
    nina.get_by_role("button", name="Send referral").click()
    expect(
        nina.get_by_text(
            "Referred to Bayside Hospice; the hand-off package is being emailed to "
            "intake@bayside.example.org."
        )
    ).to_be_visible()
    referral = nina.get_by_test_id("hospice-referral")
    expect(referral).to_contain_text("Sent")
    expect(referral.get_by_test_id("package-delivery")).to_have_text(
        "Waiting to be emailed to intake@bayside.example.org."
    )
    browsing.shot(nina, "referral-sent")
    expect(referral.get_by_role("link", name="PDF")).to_be_visible()

    # Declined without a reason, or admitted before the referral: refused, nothing changes.
    referral.get_by_text("Record the hospice's answer").click()
    referral.get_by_label("What the hospice answered").select_option(label="Declined")
    referral.get_by_role("button", name="Record answer").click()
    expect(nina.get_by_text("Say why the hospice declined the referral.")).to_be_visible()
    browsing.shot(nina, "declined-refused")
    referral = nina.get_by_test_id("hospice-referral")
    referral.get_by_label("What the hospice answered").select_option(
        label="Admitted (discharges the patient to hospice)"
    )
    referral.get_by_label(re.compile(r"^On\b")).fill((today - timedelta(days=1)).isoformat())
    referral.get_by_role("button", name="Record answer").click()
    expect(nina.get_by_text("The date cannot be before the referral")).to_be_visible()
    assert HospiceReferral.objects.get().status == "sent"
    assert EpisodeOfCare.objects.get(patient=world.alice).status == "active"

    referral = nina.get_by_test_id("hospice-referral")
    referral.get_by_label("What the hospice answered").select_option(
        label="Admitted (discharges the patient to hospice)"
    )
    referral.get_by_label(re.compile(r"^On\b")).fill(today.isoformat())
    referral.get_by_role("button", name="Record answer").click()
    # The admission discharges the patient and ends the care team's memberships: the
    # navigator is taken back to the caseload, with the reason.
    expect(nina.get_by_text("discharged to hospice, and off your caseload")).to_be_visible()
    browsing.shot(nina, "admitted")
    browsing.axe_check(nina, "caseload after the admission")
    episode = EpisodeOfCare.objects.get(patient=world.alice)
    assert episode.status == "finished" and episode.end is not None
    assert episode.discharge_reason == "hospice"

    # The coordinator, who reaches every patient of the program, reads the outcome.
    cora = sign_in(world.coordinator)
    cora.goto(f"/hospice/{world.alice.pk}/")
    expect(cora.get_by_test_id("hospice-referral")).to_contain_text("Admitted")
    expect(cora.get_by_text("The patient is not enrolled")).to_be_visible()
    browsing.axe_check(cora, "admitted")
    cora.get_by_role("link", name="Chart").click()
    expect(cora.get_by_test_id("chart-hospice-status")).to_contain_text(
        "Admitted to Bayside Hospice"
    )
    browsing.shot(cora, "chart")

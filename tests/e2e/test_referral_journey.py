"""A referral from the public form to the patient's chart, as each person on the way sees it.

A clinician refers a patient; the intake coordinator triages and accepts it; the nurse
navigator finds the new patient on her caseload; the other program's coordinator sees none of it.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.support.pdfs import clean_pdf

from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.referrals import services
from pallio.referrals.models import Referral

pytestmark = pytest.mark.browser

DIAGNOSIS = "ICD-10-CM C78.00 · Secondary malignant neoplasm of unspecified lung"
PDF = clean_pdf()


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def waiting_referral(world: Any, given: str, family: str, *, days_ago: int) -> Referral:
    """A routine referral received `days_ago` days ago (its first-contact date long gone)."""
    referral, _ = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=services.ReferralInput(
            given_name=given,
            family_name=family,
            birth_date=date(1944, 2, 2),
            diagnosis_system=ICD10CM,
            diagnosis_code="C78.00",
            urgency="routine",
            referrer_name="Dr. Earlier",
            referrer_phone="617-555-0188",
            consent_to_contact=True,
        ),
    )
    received = clock.now() - timedelta(days=days_ago)
    Referral.objects.filter(pk=referral.pk).update(
        received_at=received, first_contact_due=received.date() + timedelta(days=3)
    )
    return referral


def fill_provider_form(page: Any, born: date) -> None:
    page.get_by_label("You are referring as").select_option(label="A clinician or practice")
    page.get_by_label("Your name").fill("Dr. Rosa Rivera")
    page.get_by_label("Practice, hospital or plan").fill("Riverside Oncology")
    page.get_by_label("Your email (for our reply)").fill("rivera@example.org")
    page.get_by_label("Patient's first name").fill("Alicia")
    page.get_by_label("Patient's last name").fill("Anders")
    page.get_by_label("Date of birth").fill(born.isoformat())
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label("Patient's phone").fill("617-555-0111")
    diagnosis = page.get_by_label("Main diagnosis")
    expect(page.locator(f'#diagnosis-options option[value="{DIAGNOSIS}"]')).to_have_count(1)
    diagnosis.press_sequentially("ICD-10-CM C78.00")
    diagnosis.fill(DIAGNOSIS)  # what choosing the suggestion puts in the field
    page.get_by_label("Date of diagnosis").fill((date.today() - timedelta(weeks=3)).isoformat())
    page.get_by_label("The illness is advanced or metastatic").check()
    page.get_by_label("Symptom management").check()
    page.get_by_label("Urgency").select_option(label="Urgent (same or next day)")
    page.get_by_label("Preferred setting").select_option(
        label="Home (including nursing home or assisted living)"
    )
    page.get_by_label("What should the team know?").fill(
        "Breathless at rest; pain poorly controlled; daughter is the main caregiver."
    )
    page.get_by_label("Notes or letters (PDF, PNG or JPEG, up to 10 MB each)").set_input_files(
        {"name": "oncology-letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label("The patient (or their representative) agrees to be contacted").check()


def test_referral_travels_from_the_public_form_to_the_care_team(world, page, browsing, sign_in):
    born = world.alice.birth_date
    waiting_referral(world, "Rita", "Routine", days_ago=1)
    waiting_referral(world, "Olga", "Overdue", days_ago=9)

    # (a) A clinician refers a patient through the public form.
    page.goto("/p/riverside/refer/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Refer a patient to Riverside Palliative Care"
    )
    browsing.shot(page, "01-provider-form")
    browsing.axe_check(page, "provider form")
    fill_provider_form(page, born)
    browsing.shot(page, "02-provider-form-filled")
    page.get_by_role("button", name="Send referral").click()
    expect(page).to_have_url(re.compile(r"/p/riverside/refer/thanks/PAL-[A-Z0-9]{8}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("we have received the referral")
    reference = page.get_by_test_id("reference").inner_text().strip()
    assert re.fullmatch(r"PAL-[A-Z0-9]{8}", reference)
    body = page.locator("body").inner_text()
    assert "Alicia" not in body and "Anders" not in body
    assert "C78" not in body and "neoplasm" not in body
    browsing.shot(page, "03-thank-you")
    browsing.axe_check(page, "thank-you page")

    referral = Referral.objects.get(reference=reference)
    assert referral.attachments.get().original_name == "oncology-letter.pdf"

    # (b) The intake coordinator triages it.
    cora = sign_in(world.coordinator)
    browsing.nav(cora, "Referrals")
    expect(cora.get_by_role("heading", level=1)).to_have_text("Referral queue")
    rows = cora.get_by_test_id("queue-row")
    expect(rows).to_have_count(3)
    # Medical need first: the urgent referral heads the queue, sent minutes ago or not.
    expect(rows.nth(0)).to_contain_text(reference)
    expect(rows.nth(0)).to_contain_text("Urgent")
    expect(rows.filter(has_text="Olga").locator(".badge-overdue")).to_have_text("overdue")
    expect(rows.filter(has_text="Rita").locator(".badge-overdue")).to_have_count(0)
    expect(rows.nth(0).locator(".badge-overdue")).to_have_count(0)
    browsing.shot(cora, "04-queue")
    browsing.axe_check(cora, "referral queue")

    rows.nth(0).get_by_role("link", name=reference).click()
    expect(cora.get_by_role("heading", level=1)).to_contain_text("Alicia Anders")
    expect(cora.get_by_test_id("status")).to_have_text("New")
    duplicates = cora.get_by_test_id("duplicates")
    expect(duplicates).to_contain_text("Alice Anders")
    expect(duplicates).to_contain_text(world.alice.birth_date.strftime("%-d %b %Y"))
    expect(cora.get_by_role("link", name="oncology-letter.pdf")).to_be_visible()
    browsing.shot(cora, "05-referral-detail")
    browsing.axe_check(cora, "referral detail")

    # Not the same person: a new record, then insurance, then accept with the suggested team.
    cora.get_by_role("button", name="Create a new patient record").click()
    expect(cora.get_by_text("New patient record created.")).to_be_visible()
    expect(cora.get_by_role("link", name="Alicia Anders")).to_be_visible()
    insurance = cora.locator("section", has=cora.get_by_role("heading", name="Insurance"))
    insurance.get_by_label("Payer type").select_option(label="Medicare")
    insurance.get_by_label("Payer name").fill("Medicare Part A")
    insurance.get_by_label("Member id").fill("1EG4-TE5-MK73")
    insurance.get_by_label("Prior authorization").select_option(label="Not needed")
    insurance.get_by_role("button", name="Save insurance").click()
    expect(cora.get_by_text("Insurance saved.")).to_be_visible()

    accept = cora.locator("section", has=cora.get_by_role("heading", name="Accept and enroll"))
    nina_box = accept.get_by_label(re.compile(r"^Nina Navigator"))
    expect(nina_box).to_be_checked()
    suggested = [
        accept.locator(f'label[for="{box.get_attribute("id")}"]').inner_text()
        for box in accept.locator('input[name="team"]:checked').all()
    ]
    assert any(name.startswith("Nina Navigator") for name in suggested), suggested
    browsing.shot(cora, "06-ready-to-accept")
    accept.get_by_role("button", name="Accept referral").click()
    expect(cora.get_by_test_id("status")).to_have_text("Accepted")
    expect(cora.get_by_text("Referral accepted: the patient is enrolled")).to_be_visible()
    browsing.shot(cora, "07-accepted")
    browsing.axe_check(cora, "accepted referral")

    referral.refresh_from_db()
    patient = referral.patient
    assert patient is not None
    team_names = [name.split(" (")[0] for name in suggested]

    # (c) The nurse navigator finds the new patient on her caseload and opens the chart.
    nina = sign_in(world.navigator)
    browsing.nav(nina, "Caseload")
    expect(nina.get_by_role("heading", level=1)).to_have_text("My caseload")
    row = nina.get_by_test_id("caseload-row").filter(has_text="Anders, Alicia")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Secondary malignant neoplasm of unspecified lung")
    browsing.shot(nina, "08-caseload")
    browsing.axe_check(nina, "caseload")
    row.get_by_role("link", name="Anders, Alicia").click()
    header = nina.get_by_test_id("chart-header")
    expect(header.get_by_role("heading", level=1)).to_have_text("Alicia Anders")
    today = clock.today_in("America/New_York")
    expect(header).to_contain_text(f"age {age_on(born, today)}")
    expect(header).to_contain_text("Secondary malignant neoplasm of unspecified lung (advanced)")
    for name in team_names:
        expect(header).to_contain_text(name)
    expect(nina.get_by_text("Medicare — Medicare Part A")).to_be_visible()
    expect(nina.get_by_text(f"From referral {reference}")).to_be_visible()
    browsing.shot(nina, "09-chart")
    browsing.axe_check(nina, "chart")

    # (d) The other program's coordinator finds nothing of it.
    hal = sign_in(world.hillside_coordinator)
    browsing.nav(hal, "Referrals")
    expect(hal.get_by_role("heading", level=1)).to_have_text("Referral queue")
    expect(hal.get_by_text(reference)).to_have_count(0)
    expect(hal.get_by_text("Anders")).to_have_count(0)
    browsing.shot(hal, "10-other-program-queue")
    response = hal.goto(f"/patients/{uuid.uuid4()}/")
    assert response is not None and response.status == 404
    missing = hal.locator("main").inner_text()
    response = hal.goto(f"/patients/{patient.pk}/")
    assert response is not None and response.status == 404
    expect(hal.get_by_role("heading", level=1)).to_have_text("Page not found")
    # The same page as for a record that does not exist: the address tells him nothing.
    assert hal.locator("main").inner_text() == missing
    assert "Alicia" not in hal.content() and "Anders" not in hal.content()
    browsing.shot(hal, "11-other-program-chart-404")
    browsing.axe_check(hal, "not-found page")
    response = hal.goto(f"/referrals/{referral.pk}/")
    assert response is not None and response.status == 404
    assert "Anders" not in hal.content()
    hal.goto("/patients/")
    hal.get_by_label("Name or record number").fill("Anders")
    hal.get_by_role("button", name="Search").click()
    expect(hal.get_by_text("No patient you can see matches")).to_be_visible()
    expect(hal.get_by_role("link", name=re.compile("Anders"))).to_have_count(0)
    browsing.shot(hal, "12-other-program-search")
    browsing.axe_check(hal, "patient search")


def test_self_referral_and_phone_referral_pages_are_accessible(world, page, browsing, sign_in):
    page.goto("/p/riverside/refer/")
    page.get_by_role("link", name="Use the simpler form").click()
    expect(page).to_have_url(re.compile(r"/p/riverside/refer/self/$"))
    expect(page.get_by_label("Who is filling in this form?")).to_be_visible()
    browsing.shot(page, "self-referral-form")
    browsing.axe_check(page, "self-referral form")

    cora = sign_in(world.coordinator)
    browsing.nav(cora, "Phone referral")
    expect(cora.get_by_label("Caller / referrer name")).to_be_visible()
    browsing.shot(cora, "phone-referral-form")
    browsing.axe_check(cora, "phone referral form")

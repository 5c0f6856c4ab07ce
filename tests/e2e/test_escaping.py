"""Markup typed into a public referral is shown as text and never runs (SECURITY.md 24)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
DIAGNOSIS = "ICD-10-CM C78.00 · Secondary malignant neoplasm of unspecified lung"


def assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("() => window.__xss") is None
    # The markup did not become elements either.
    assert page.locator('img[src="x"]').count() == 0
    assert not page.evaluate(
        "() => [...document.scripts].some(s => s.textContent.includes('__xss'))"
    )


def test_markup_in_every_text_field_is_shown_literally_and_never_runs(
    world, page, browsing, sign_in
):
    page.goto("/p/riverside/refer/")
    page.get_by_label("You are referring as").select_option(label="A clinician or practice")
    page.get_by_label("Your name").fill(SCRIPT)
    page.get_by_label("Practice, hospital or plan").fill(IMG)
    page.get_by_label("Your email (for our reply)").fill("xss@example.org")
    page.get_by_label("Patient's first name").fill(IMG)
    page.get_by_label("Patient's last name").fill(SCRIPT)
    page.get_by_label("Date of birth").fill("1949-07-01")
    page.get_by_label("Street address").fill(f"{IMG} {SCRIPT}")
    page.get_by_label("City").fill(IMG)
    page.get_by_label("State").fill(SCRIPT)
    page.get_by_label("ZIP code").fill("<s>02139</s>")  # 16 characters at most
    page.get_by_label("Main diagnosis").fill(DIAGNOSIS)
    page.get_by_label("What should the team know?").fill(f"{IMG}\n{SCRIPT}")
    page.get_by_label("Insurance", exact=True).select_option(label="Private insurance")
    page.get_by_label("Insurer or plan name").fill(IMG)
    page.get_by_label("Member id").fill(SCRIPT)
    page.get_by_label("The patient (or their representative) agrees to be contacted").check()
    page.get_by_role("button", name="Send referral").click()
    expect(page).to_have_url(re.compile(r"/thanks/PAL-[A-Z0-9]{8}/$"))
    reference = page.get_by_test_id("reference").inner_text().strip()
    assert_nothing_ran(page)
    browsing.shot(page, "thank-you")

    cora = sign_in(world.coordinator)
    cora.goto("/referrals/")
    row = cora.get_by_test_id("queue-row").filter(has_text=reference)
    expect(row).to_contain_text(f"{IMG} {SCRIPT}")
    assert_nothing_ran(cora)
    browsing.shot(cora, "queue")
    browsing.axe_check(cora, "queue")

    row.get_by_role("link", name=reference).click()
    expect(cora.get_by_role("heading", level=1)).to_contain_text(f"{IMG} {SCRIPT}")
    patient_section = cora.locator("section", has=cora.get_by_text("Patient as referred"))
    expect(patient_section).to_contain_text(f"{IMG} {SCRIPT} {IMG} {SCRIPT} <s>02139</s>")
    expect(patient_section).to_contain_text(IMG)
    expect(patient_section.locator("dd").filter(has_text="window.__xss=1</script>")).to_have_count(
        2
    )  # the address and the summary
    referrer = cora.locator("section", has=cora.get_by_role("heading", name="Referrer"))
    expect(referrer).to_contain_text(f"Provider: {SCRIPT}, {IMG}")
    insurance = cora.locator("section", has=cora.get_by_role("heading", name="Insurance"))
    expect(insurance.get_by_label("Payer name")).to_have_value(IMG)
    expect(insurance.get_by_label("Member id")).to_have_value(SCRIPT)
    assert_nothing_ran(cora)
    browsing.shot(cora, "detail")
    browsing.axe_check(cora, "detail")

    # Once the patient has a record, the chart header shows the same text, inert.
    cora.get_by_role("button", name="Create a new patient record").click()
    cora.get_by_role("link", name=f"{IMG} {SCRIPT}").click()
    header = cora.get_by_test_id("chart-header")
    expect(header.get_by_role("heading", level=1)).to_have_text(f"{IMG} {SCRIPT}")
    assert_nothing_ran(cora)
    browsing.shot(cora, "chart")

    # Escaping, not only the Content-Security-Policy, keeps it inert: without the policy
    # the same pages still run nothing.
    for address in ("/referrals/", cora.url):
        cora.goto(address)
        with browsing.without_csp(cora) as unprotected:
            expect(unprotected.locator("main")).to_contain_text(SCRIPT)
            assert_nothing_ran(unprotected)

"""The privacy officer looks up a patient's audit trail by name, in the browser: a short search
is refused plainly, two patients match and she picks one by date of birth and record number,
reads who opened the chart in plain words, then follows a staff member to their own trail."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from tests.support.personas import make_patient

from pallio.audit.models import AuditEvent

pytestmark = pytest.mark.browser


def _check_phone_width(page, browsing, step: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "page wider than phone"
    browsing.shot(page, f"{step}-phone")
    browsing.axe_check(page, f"{step} at 390 px")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_privacy_officer_finds_a_patients_trail_by_name(world, browsing, sign_in):
    make_patient(world.riverside, "Anna", "Anderson", date(1944, 2, 2))

    nina = sign_in(world.navigator)  # on Alice's care team
    nina.goto(f"/patients/{world.alice.pk}/")
    expect(nina.locator("h1")).to_contain_text("Anders")

    priya = sign_in(world.privacy)
    browsing.nav(priya, "Audit trail")
    priya.get_by_role("link", name="Find a patient's trail").click()
    expect(priya.get_by_role("heading", name="Find a patient's audit trail")).to_be_visible()

    # One letter is not a search: a plain message, and nothing written to the trail.
    before = AuditEvent.objects.count()
    priya.get_by_label("Name or record number").fill("a")
    priya.get_by_role("button", name="Search").click()
    expect(priya.get_by_test_id("search-error")).to_have_text(
        "Name or record number: Type at least 2 characters: part of a name, or a whole "
        "record number."
    )
    expect(priya.get_by_label("Name or record number")).to_have_value("a")
    assert AuditEvent.objects.count() == before
    browsing.shot(priya, "too-short")
    browsing.axe_check(priya, "a search too short")

    # A record number no patient has.
    priya.get_by_label("Name or record number").fill("NO-SUCH-MRN")
    priya.get_by_role("button", name="Search").click()
    expect(priya.get_by_test_id("match-count")).to_contain_text("No patient matches")
    expect(priya.get_by_test_id("no-match")).to_be_visible()

    # Part of a name, any case: both patients, to tell apart by birth date and record number.
    priya.get_by_label("Name or record number").fill("ANDER")
    priya.get_by_role("button", name="Search").click()
    matches = priya.get_by_test_id("patient-match")
    expect(matches).to_have_count(2)
    expect(matches.nth(0)).to_contain_text("Anders, Alice")
    expect(matches.nth(0)).to_contain_text("12 Apr 1950")
    expect(matches.nth(0)).to_contain_text(world.alice.mrn)
    expect(matches.nth(1)).to_contain_text("Anderson, Anna")
    browsing.shot(priya, "matches")
    browsing.axe_check(priya, "patients matching a name")
    _check_phone_width(priya, browsing, "matches")

    search = AuditEvent.objects.filter(event="audit.patient_search").latest("id")
    assert search.user_id == world.privacy.pk and search.detail["query"] == "ANDER"

    priya.get_by_role("link", name="Anders, Alice").click()
    expect(priya.get_by_role("heading", name="Audit trail of Alice Anders")).to_be_visible()
    expect(priya.get_by_test_id("patient-identity")).to_contain_text(world.alice.mrn)
    rows = priya.get_by_test_id("trail-row")
    opened = rows.filter(has_text="Opened the chart")
    expect(opened.first).to_contain_text("Nina Navigator")
    expect(opened.first).to_contain_text("Clinician (care team)")
    expect(rows.first).to_contain_text("Read a patient's audit trail")
    expect(rows.first).to_contain_text("Privacy officer")
    expect(priya.locator("main")).not_to_contain_text("patient.chart")
    expect(priya.locator("main")).not_to_contain_text("privacy_officer")
    browsing.shot(priya, "patient-trail")
    browsing.axe_check(priya, "a patient's trail")
    _check_phone_width(priya, browsing, "patient-trail")

    # Then the staff member, by name: everything Nina did, with the patients named.
    priya.get_by_role("link", name="Find a staff member's trail").click()
    priya.get_by_label("Name or username").fill("navigator")
    priya.get_by_role("button", name="Search").click()
    staff = priya.get_by_test_id("staff-match")
    expect(staff).to_have_count(1)
    expect(staff.first).to_contain_text("Clinician (care team)")
    expect(staff.first).to_contain_text("Nurse navigator")
    browsing.axe_check(priya, "staff matching a name")
    staff.first.get_by_role("link", name="Nina Navigator").click()
    expect(priya.get_by_role("heading", name="Audit trail of Nina Navigator")).to_be_visible()
    chart = priya.get_by_test_id("trail-row").filter(has_text="Opened the chart")
    expect(chart.first.get_by_role("link", name="Alice Anders")).to_be_visible()
    browsing.shot(priya, "staff-trail")
    browsing.axe_check(priya, "a staff member's trail")
    _check_phone_width(priya, browsing, "staff-trail")

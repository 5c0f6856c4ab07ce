"""The program settings in the browser, at 1280 px and 390 px with axe-core: the program
administrator changes the time zone and a clock rule and sees them saved; a time zone that does
not exist and a code set with an unknown code are named plainly and nothing changes; the
referral form's addresses and the printable poster."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.programs.models import Program

pytestmark = pytest.mark.browser


def check_both_widths(browsing, page, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    browsing.axe_check(page, f"{step} at 1280 px")
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    overflow = page.evaluate(
        "() => document.querySelector('main').scrollWidth - document.querySelector('main')"
        ".clientWidth"
    )
    assert overflow <= 0, f"{step}: the page is wider than a 390 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def riverside() -> Program:
    return Program.objects.get(slug="riverside")


def test_a_clinician_has_no_program_settings(world, browsing, sign_in):
    nina = sign_in(world.navigator)
    menu = nina.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Program settings")).to_have_count(0)
    response = nina.goto("/program/settings/")
    assert response is not None and response.status == 403


def test_the_administrator_changes_the_programs_settings(world, browsing, sign_in):
    admin = make_staff(world.riverside, "ada", Role.PROGRAM_ADMIN, "administration", "Ada", "Admin")
    ada = sign_in(admin)
    browsing.nav(ada, "Program settings")
    expect(ada.get_by_role("heading", name="Program settings", exact=True)).to_be_visible()
    check_both_widths(browsing, ada, "settings")

    ada.get_by_label("Time zone").fill("America/Denver")
    ada.get_by_label("Days to send a visit summary").fill("4")
    ada.get_by_role("button", name="Save settings").click()
    expect(ada.get_by_text("The program's settings are saved.")).to_be_visible()
    expect(ada.get_by_label("Time zone")).to_have_value("America/Denver")
    expect(ada.get_by_label("Days to send a visit summary")).to_have_value("4")
    assert riverside().timezone == "America/Denver"
    assert riverside().setting("summary_due_days") == 4

    # A time zone that does not exist: named next to the field, nothing saved.
    ada.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    ada.get_by_label("Days to send a visit summary").fill("6")
    ada.get_by_role("button", name="Save settings").click()
    expect(ada.get_by_text("“Mars/Olympus_Mons” is not a time zone we know")).to_be_visible()
    expect(ada.get_by_text("Nothing has been saved yet.")).to_be_visible()
    check_both_widths(browsing, ada, "settings-bad-zone")
    assert riverside().timezone == "America/Denver"
    assert riverside().setting("summary_due_days") == 4

    # A code set with a code the catalogue does not know: named, nothing saved.
    ada.get_by_label("Time zone").fill("America/Denver")
    cancer = ada.get_by_role("group", name="Cancer")
    cancer.get_by_label("ICD-10-CM codes").fill("C00-C96, Q99.99")
    ada.get_by_role("button", name="Save settings").click()
    expect(ada.get_by_text("Q99.99 is not in the coded catalogue")).to_be_visible()
    assert "serious_illness_icd10_prefixes" not in riverside().settings
    assert riverside().setting("summary_due_days") == 4

    # The referral form's addresses and the poster.
    ada.goto("/program/settings/")
    ada.get_by_role("link", name="Referral form address and poster").click()
    expect(ada.get_by_test_id("referral-addresses")).to_contain_text("/p/riverside/refer/self/")
    check_both_widths(browsing, ada, "referral-form")
    ada.get_by_role("link", name="Open the printable poster").click()
    poster = ada.get_by_test_id("poster")
    expect(poster).to_contain_text("Riverside Palliative Care")
    expect(poster).to_contain_text("617-555-0100")
    expect(poster.get_by_role("img", name="QR code for the address below")).to_have_count(2)
    check_both_widths(browsing, ada, "poster")
    # Printed, the poster stands alone: no menu, no footer.
    ada.emulate_media(media="print")
    expect(ada.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(poster).to_be_visible()
    ada.emulate_media(media="screen")

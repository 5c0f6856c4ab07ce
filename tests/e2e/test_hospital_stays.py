"""Hospital stays in the browser: a stay recorded from the chart, flagged as a readmission,
moved to intensive care against a DNR/DNI and intubated, which puts a review before the
team; the review recorded from the team's list. At desk and phone widths."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pallio.acp import services as acp
from pallio.core import clock
from pallio.episodes import stays
from pallio.episodes.models import EpisodeOfCare

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def test_record_a_stay_see_the_readmission_and_review_the_care(world, browsing, sign_in):
    zone = ZoneInfo(world.riverside.timezone)
    now = clock.now()
    EpisodeOfCare.objects.filter(patient=world.alice).update(start=now - timedelta(days=90))
    acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr_dni",
        effective_date=clock.today_in(world.riverside.timezone) - timedelta(days=60),
        expected_current_id=None,
    )
    stays.stay_record(
        actor=world.navigator,
        patient=world.alice,
        kind="inpatient",
        facility="Mercy Hospital",
        admitted_at=now - timedelta(days=20),
        discharged_at=now - timedelta(days=14),
        disposition="home",
    )

    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{world.alice.pk}/")
    section = nina.get_by_test_id("chart-stays")
    expect(section).to_contain_text("Mercy Hospital")
    section.get_by_role("link", name="All stays, and record one").click()
    expect(nina.get_by_role("heading", name="Hospital stays", exact=True)).to_be_visible()
    browsing.axe_check(nina, "stays page")

    nina.get_by_text("Admission, emergency visit or observation stay").click()
    nina.get_by_label("Kind of stay").select_option(label="Inpatient admission")
    nina.get_by_label(re.compile(r"^Hospital\b")).fill("Riverside General Hospital")
    nina.get_by_label("Unit or ward").fill("4 West")
    admitted = (now - timedelta(hours=6)).astimezone(zone)
    nina.get_by_label("Arrived or admitted").fill(admitted.strftime("%Y-%m-%dT%H:%M"))
    nina.get_by_label("Reason").fill("Breathless")
    nina.get_by_label("Who told the team").fill("Son called the 24/7 line")
    browsing.shot(nina, "record-form")
    nina.get_by_role("button", name="Save stay").click()
    expect(nina.get_by_text("Stay recorded.")).to_be_visible()
    expect(nina.get_by_test_id("readmission")).to_have_text("Readmission within 30 days")
    browsing.axe_check(nina, "stay page")

    nina.get_by_text("Record a move", exact=True).click()
    nina.get_by_label("New unit or ward").fill("Medical ICU")
    nina.get_by_label("Intensive care (ICU)").check()
    moved = (now - timedelta(hours=2)).astimezone(zone)
    nina.get_by_label("Moved at").fill(moved.strftime("%Y-%m-%dT%H:%M"))
    nina.get_by_role("button", name="Save move").click()
    expect(nina.get_by_text("Move recorded.")).to_be_visible()
    expect(nina.get_by_test_id("movements")).to_contain_text("Medical ICU")

    nina.get_by_label("Intubated (breathing machine)").check()
    nina.get_by_role("button", name="Save", exact=True).click()
    expect(nina.get_by_text("Saved.")).to_be_visible()
    review = nina.get_by_test_id("review")
    expect(review).to_contain_text("Intubated (breathing machine).")
    expect(review).to_contain_text("Code status DNR/DNI")
    expect(review).to_contain_text("Not a finding of fault")
    browsing.shot(nina, "stay-1280")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "stay-390")
    browsing.axe_check(nina, "stay page at phone width")

    # The wrong hospital's name and a wrong admission time, put right on the phone.
    fix = nina.get_by_role("region", name="Something recorded wrongly?")
    fix.get_by_text("Correct the stay").click()
    fix.get_by_label(re.compile(r"^Hospital\b")).fill("Riverside Community Hospital")
    fix.get_by_label(re.compile(r"^Unit or ward")).fill("4 West (Respiratory)")
    corrected = (now - timedelta(hours=7)).astimezone(zone)
    fix.get_by_label("Arrived or admitted").fill(corrected.strftime("%Y-%m-%dT%H:%M"))
    browsing.axe_check(nina, "stay correction at phone width")
    browsing.shot(nina, "correct-390")
    fix.get_by_role("button", name="Save correction").click()
    expect(nina.get_by_text("Stay corrected.")).to_be_visible()
    expect(nina.locator("h2", has_text="Riverside Community Hospital")).to_be_visible()
    expect(nina.get_by_test_id("movements")).to_contain_text("4 West (Respiratory)")
    nina.set_viewport_size(DESK)
    browsing.axe_check(nina, "stay corrected")
    fix = nina.get_by_role("region", name="Something recorded wrongly?")
    fix.get_by_text("Correct the stay").click()
    fix.get_by_label("Reason").fill("Breathless, fever")
    fix.get_by_label("Arrived or admitted").fill(
        (now + timedelta(hours=3)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    )
    fix.get_by_role("button", name="Save correction").click()
    expect(fix.get_by_text("The admission cannot be in the future.").first).to_be_visible()
    browsing.shot(nina, "correct-1280")

    nina.goto(f"/patients/{world.alice.pk}/")
    section = nina.get_by_test_id("chart-stays")
    expect(section).to_contain_text("Readmission within 30 days")
    expect(section).to_contain_text("waiting for the team")

    phil = sign_in(world.physician)
    browsing.nav(phil, "Care reviews")
    expect(phil.get_by_role("heading", name="Care reviews")).to_be_visible()
    browsing.axe_check(phil, "care reviews")
    phil.get_by_text("Record the team's review").click()
    phil.get_by_label("What the team talked about and concluded").fill(
        "Son asked for everything in the ED; a goals conversation with him is booked."
    )
    phil.get_by_role("button", name="Save review").click()
    expect(phil.get_by_text("Review recorded.")).to_be_visible()
    expect(phil.get_by_test_id("reviews")).to_contain_text("Reviewed by Phil Physician")
    browsing.shot(phil, "reviews-1280")
    phil.set_viewport_size(PHONE)
    browsing.shot(phil, "reviews-390")
    browsing.axe_check(phil, "care reviews at phone width")

"""The 24/7 line in the browser, on a phone (390 px) and a desktop (1280 px): a pain call
with a red flag stands out, and an expected death reported by phone is recorded."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pallio.acp.tests.factories import full_plan
from pallio.core import clock
from pallio.medications import services as medications
from pallio.medications.allergies import allergy_record
from pallio.support.models import Call, DeathReport

pytestmark = pytest.mark.browser
WIDTHS = [390, 1280]


def _local(world, when):
    return when.astimezone(ZoneInfo(world.riverside.timezone)).strftime("%Y-%m-%dT%H:%M")


def _take_call(world, owen, browsing, width, reason):
    allergy_record(
        actor=world.physician,
        patient=world.alice,
        substance="Penicillin",
        category="medication",
        criticality="high",
        reaction="Hives",
    )
    owen.set_viewport_size({"width": width, "height": 900})
    owen.goto("/support/")
    expect(owen.get_by_role("heading", name="24/7 line")).to_be_visible()
    browsing.shot(owen, f"on-call-empty-{width}")
    browsing.axe_check(owen, f"on-call screen {width}")
    owen.get_by_role("link", name="Take a new call").click()
    # Three keystrokes find alice as the nurse types (htmx), without pressing Find.
    owen.get_by_label("Find the patient: name, date of birth or phone").press_sequentially("ali")
    owen.get_by_role("link", name=re.compile("Alice Anders")).click()
    expect(owen.get_by_role("heading", name=re.compile("Key facts"))).to_be_visible()
    # The allergy list is on the call screen, the dangerous one marked.
    facts = owen.get_by_test_id("allergy-summary")
    expect(facts).to_contain_text("Penicillin")
    expect(facts).to_contain_text("high risk")
    owen.get_by_label("Who is calling").select_option(label="Family caregiver")
    owen.get_by_label("Caller's name").fill("Ann O'Neil-Anders")
    owen.get_by_label("Number to call back").fill("617-555-0199")
    owen.get_by_label("Call came in").fill(_local(world, clock.now() - timedelta(minutes=6)))
    owen.get_by_label("Reason for the call").select_option(value=reason)
    owen.get_by_label("What the caller says").fill("She is in a lot of pain tonight.")
    browsing.shot(owen, f"call-new-{width}")
    browsing.axe_check(owen, f"new call {width}")
    owen.get_by_role("button", name="Record the call").click()
    expect(owen.get_by_text("Call recorded. Triage it below.")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_pain_call_with_a_red_flag_stands_out(world, browsing, sign_in, width):
    full_plan(world)
    medications.medication_add(
        actor=world.physician,
        patient=world.alice,
        data=medications.MedicationInput(
            catalog_key="morphine", dose_amount="5", as_needed=True, doses_per_day="6"
        ),
    )
    owen = sign_in(world.oncall)
    _take_call(world, owen, browsing, width, "symptom")
    owen.get_by_label("Protocol").select_option(label="Pain")
    owen.get_by_role("button", name="Open").click()
    owen.get_by_label(re.compile("^New back or neck pain with leg weakness")).check()
    owen.get_by_label(re.compile("^Pain now")).fill("9")
    owen.get_by_label("Did it help?").select_option(label="No")
    browsing.shot(owen, f"call-triage-{width}")
    browsing.axe_check(owen, f"triage {width}")
    expect(owen.get_by_role("note")).to_contain_text("as needed")
    owen.get_by_role("button", name="Save triage").click()

    flag = owen.locator("#red-flag")
    expect(flag).to_be_visible()
    expect(flag).to_contain_text("Call 911 or go to the emergency department")
    browsing.shot(owen, f"call-red-flag-{width}")
    browsing.axe_check(owen, f"red flag {width}")
    call = Call.objects.get()
    assert call.red_flag and call.symptom_report is not None

    owen.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="24/7 line").click()
    expect(owen.get_by_text("1 with a red flag")).to_be_visible()
    browsing.shot(owen, f"on-call-red-flag-{width}")
    browsing.axe_check(owen, f"on-call screen with a red flag {width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_expected_death_reported_by_phone(world, browsing, sign_in, width):
    owen = sign_in(world.oncall)
    _take_call(world, owen, browsing, width, "death")
    expect(owen.get_by_role("heading", name="Record the death")).to_be_visible()
    owen.get_by_label("Time of death").fill(_local(world, clock.now() - timedelta(minutes=30)))
    owen.get_by_label("Place of death").select_option(label="Home")
    owen.get_by_label("Who was present").fill("Her daughter Ann")
    owen.get_by_label("A pronouncement visit").check()
    owen.get_by_label("Calling the funeral home").check()
    owen.get_by_label("Funeral home", exact=True).fill("Oak Street Funeral Home")
    browsing.shot(owen, f"death-form-{width}")
    browsing.axe_check(owen, f"death form {width}")
    owen.get_by_role("button", name="Record the death").click()
    expect(
        owen.get_by_text(
            "Death recorded: the patient's open work is closed and the team lead has a task."
        )
    ).to_be_visible()
    expect(owen.get_by_role("heading", name="Death reported")).to_be_visible()

    owen.locator("#id_disposition").select_option(label="Death pronouncement visit")
    owen.get_by_label("What was advised or arranged").fill("Nurse on the way for pronouncement.")
    owen.get_by_role("button", name="Record the disposition and close").click()
    expect(owen.get_by_text("Disposition recorded; the call is closed.")).to_be_visible()
    browsing.shot(owen, f"death-recorded-{width}")
    browsing.axe_check(owen, f"death recorded {width}")
    world.alice.refresh_from_db()
    assert world.alice.deceased_at is not None
    assert DeathReport.objects.get().needs == ["pronouncement", "funeral_home"]


def test_the_medical_director_edits_a_protocol(world, browsing, sign_in):
    dana = sign_in(world.director)
    dana.goto("/support/protocols/")
    expect(dana.get_by_role("heading", name="Triage protocols")).to_be_visible()
    browsing.shot(dana, "protocols")
    browsing.axe_check(dana, "protocol list")
    dana.get_by_role("link", name="Edit Pain").click()
    editor = dana.get_by_label("Protocol (JSON)")
    text = editor.input_value()
    editor.fill(
        text.replace('"title": "Pain"', '"title": "Pain (Riverside)"').replace(
            "Use only the as-needed", "Give 10 mg of morphine, or use only the as-needed"
        )
    )
    dana.get_by_role("button", name="Save the program's version").click()
    expect(dana.get_by_role("alert")).to_contain_text("reads like a dose")
    browsing.shot(dana, "protocol-refused")
    browsing.axe_check(dana, "protocol refused")
    dana.get_by_label("Protocol (JSON)").fill(
        text.replace('"title": "Pain"', '"title": "Pain (Riverside)"')
    )
    dana.get_by_role("button", name="Save the program's version").click()
    expect(dana.get_by_text("is saved")).to_be_visible()
    dana.goto("/support/protocols/")
    expect(dana.get_by_role("link", name="Edit Pain (Riverside)")).to_be_visible()

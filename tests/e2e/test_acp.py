"""Goals of care and advance care planning in the browser: a conversation recorded and
signed, a code status change seen in the chart header, and the printed summary."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from pallio.acp import services
from pallio.core import clock

pytestmark = pytest.mark.browser


def test_record_a_goals_of_care_conversation(world, browsing, sign_in):
    phil = sign_in(world.physician)
    phil.goto(f"/patients/{world.alice.pk}/")
    phil.get_by_role("link", name="Open goals of care and advance care planning").click()
    expect(
        phil.get_by_role("heading", name="Goals of care and advance care planning")
    ).to_be_visible()
    browsing.shot(phil, "acp-empty")
    browsing.axe_check(phil, "acp page, empty")

    phil.get_by_role("link", name="Record a conversation").click()
    held = (clock.now() - timedelta(hours=1)).astimezone(ZoneInfo(world.riverside.timezone))
    phil.get_by_label("When the conversation took place").fill(held.strftime("%Y-%m-%dT%H:%M"))
    phil.get_by_label("Participant 1: name").fill("Alice Anders")
    phil.get_by_label("Participant 1: relationship or role").fill("patient")
    phil.get_by_label("Participant 2: name").fill("Andrew Anders")
    phil.get_by_label("Participant 2: relationship or role").fill("son")
    phil.get_by_label("Understanding of the illness").fill(
        "Knows the cancer has spread to the bones."
    )
    phil.get_by_label(re.compile(r"^Goals")).fill(
        "To stay at home and see her granddaughter graduate."
    )
    phil.get_by_label("Fears and worries").fill("Pain; being a burden to Andrew.")
    phil.get_by_label("Critical abilities").fill("Talking with her family.")
    phil.get_by_label("Overall focus of care").select_option(label="Comfort-focused")
    browsing.shot(phil, "conversation-form")
    browsing.axe_check(phil, "conversation form")
    phil.get_by_role("button", name="Sign conversation").click()

    expect(phil.get_by_text("Conversation signed.")).to_be_visible()
    expect(phil.get_by_text("To stay at home and see her granddaughter graduate.")).to_be_visible()
    phil.get_by_label("Reason for the addendum").fill("Son called the next day")
    phil.get_by_label(re.compile(r"^Addendum")).fill("Andrew agrees with the plan.")
    phil.get_by_role("button", name="Add addendum").click()
    expect(phil.get_by_test_id("addenda")).to_contain_text("Andrew agrees with the plan.")
    browsing.shot(phil, "conversation-signed")
    browsing.axe_check(phil, "signed conversation")

    phil.get_by_role("link", name="Goals of care").click()
    expect(phil.get_by_test_id("goal-timeline")).to_contain_text("Comfort-focused")
    expect(phil.get_by_test_id("conversations")).to_contain_text("signed")


def test_change_code_status_and_see_it_in_the_header(world, browsing, sign_in):
    phil = sign_in(world.physician)
    phil.goto(f"/acp/{world.alice.pk}/")
    expect(phil.get_by_test_id("code-status")).to_have_text("Not documented")
    browsing.axe_check(phil, "acp page with no code status")
    phil.get_by_text("Change code status").click()
    phil.get_by_role("combobox", name=re.compile(r"^Code status")).select_option(
        label="DNR/DNI (do not resuscitate, do not intubate)"
    )
    phil.get_by_label("Note").first.fill("Discussed with patient and son")
    phil.get_by_role("button", name="Record code status").click()
    expect(phil.get_by_text("Code status recorded.")).to_be_visible()
    expect(phil.get_by_test_id("code-status")).to_contain_text("DNR/DNI")
    expect(phil.get_by_test_id("code-status")).to_contain_text("since")
    browsing.shot(phil, "code-status-recorded")
    browsing.axe_check(phil, "acp page with code status")

    # Someone else records a change meanwhile: this page's form is now stale.
    current = services.current_code_status_of(world.alice)
    services.code_status_change(
        actor=world.director,
        patient=world.alice,
        status="comfort_focused",
        effective_date=clock.today_in(world.riverside.timezone),
        expected_current_id=current.pk,
    )
    phil.get_by_text("Change code status").click()
    phil.get_by_role("combobox", name=re.compile(r"^Code status")).select_option(label="Full code")
    phil.get_by_role("button", name="Record code status").click()
    expect(phil.get_by_role("alert").filter(has_text="changed by someone else")).to_be_visible()
    browsing.shot(phil, "code-status-conflict")

    phil.goto(f"/patients/{world.alice.pk}/")
    expect(phil.get_by_test_id("code-status")).to_contain_text("Comfort-focused care")
    browsing.shot(phil, "chart-header")
    browsing.axe_check(phil, "chart")

    services.code_status_change(
        actor=world.director,
        patient=world.alice,
        status="full_code",
        effective_date=clock.today_in(world.riverside.timezone),
        expected_current_id=services.current_code_status_of(world.alice).pk,
    )
    phil.reload()
    expect(phil.get_by_test_id("code-status-badge")).to_have_text("Full code")
    browsing.shot(phil, "chart-header-full-code")
    browsing.axe_check(phil, "chart with full code")


def test_print_the_summary(world, browsing, sign_in):
    services.agent_add(
        actor=world.physician,
        patient=world.alice,
        data=services.AgentInput(name="Andrew Anders", relationship="CHILD", phone="617-555-0144"),
    )
    services.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr",
        effective_date=clock.today_in(world.riverside.timezone),
        expected_current_id=None,
    )
    nina = sign_in(world.navigator)
    nina.goto(f"/acp/{world.alice.pk}/")
    browsing.shot(nina, "acp-with-agent")
    with nina.expect_download() as info:
        nina.get_by_role("link", name="Print summary (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        pdf = handle.read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Advance care planning summary" in text
    assert "Alice Anders" in text
    assert "DNR (do not resuscitate)" in text
    assert "Andrew Anders" in text


def test_worklists_page(world, browsing, sign_in):
    dana = sign_in(world.director)
    browsing.nav(dana, "Advance care planning")
    expect(dana.get_by_role("heading", name="Advance care planning worklists")).to_be_visible()
    browsing.shot(dana, "worklists")
    browsing.axe_check(dana, "worklists")
    dana.get_by_role("link", name="Plans to review").click()
    expect(dana.get_by_test_id("worklist")).to_be_visible()
    browsing.axe_check(dana, "review list")

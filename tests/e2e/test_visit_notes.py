"""Visit notes in the browser: a nurse writes and signs a visit note with the symptom report
taken in the visit; a fellow's note co-signed by the supervisor from the worklist; a signed
note that cannot be edited, even by a crafted POST; empty required fields refused."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pallio.core import clock
from pallio.visits.models import VisitNote

pytestmark = pytest.mark.browser

ESAS_LABELS = {
    "pain": "Pain",
    "tiredness": "Tiredness",
    "drowsiness": "Drowsiness",
    "nausea": "Nausea",
    "appetite": "Lack of appetite",
    "dyspnea": "Shortness of breath",
    "depression": "Depression",
    "anxiety": "Anxiety",
    "wellbeing": "Wellbeing",
}


@pytest.fixture(autouse=True)
def _shipped_data(world: Any) -> None:
    """Each browser test ends with a flush, which empties the instruments and note templates
    the migration loaded: load them again."""
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped
    from pallio.visits.services import note_templates_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
    note_templates_sync_shipped()


def both_widths(browsing: Any, page: Any, step: str) -> None:
    """Screenshots at 1280 px and 390 px, and the axe check at both."""
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def visit_time(world: Any, hours_ago: int = 1) -> str:
    moment = (clock.now() - timedelta(hours=hours_ago)).astimezone(
        ZoneInfo(world.riverside.timezone)
    )
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_nurse_writes_and_signs_a_visit_note_with_a_symptom_report(world, browsing, sign_in):
    from pallio.visits.tests.factories import nurse

    nora_user = nurse(world)
    nora = sign_in(nora_user)

    # The symptom report taken at the visit, through the existing assessments page.
    nora.goto(f"/assessments/patients/{world.alice.pk}/report/")
    values = dict.fromkeys(ESAS_LABELS, "2")
    values["pain"] = "6"
    for item, label in ESAS_LABELS.items():
        browsing.tap(nora, label, values[item])
    nora.get_by_label("Who answered").select_option(label="Patient")
    nora.get_by_label("Taken").select_option(label="At a visit")
    nora.get_by_label("Phase of care at this contact").select_option(label="Stable")
    nora.get_by_role("button", name="Save report").click()
    expect(nora.get_by_text(re.compile(r"saved\. Alerts are checked"))).to_be_visible()

    nora.goto(f"/visits/patients/{world.alice.pk}/")
    expect(nora.get_by_role("heading", name="Visits and notes")).to_be_visible()
    nora.get_by_role("link", name="Document a visit or call").click()
    expect(nora.get_by_role("heading", name=re.compile("Nursing visit note"))).to_be_visible()
    expect(nora.get_by_text("Are the medicines being taken as prescribed?")).to_be_visible()
    nora.get_by_label("When the visit or call began").fill(visit_time(world))
    nora.get_by_label("Where the patient was").select_option(label="Home")
    nora.get_by_label("In person").check()
    nora.locator("#id_reason").fill("Pain follow-up")
    nora.get_by_label(re.compile(r"^Reason for the visit or call")).fill(
        "Planned visit after the evening dose was increased."
    )
    nora.get_by_label(re.compile(r"^Symptoms and how they are managed")).fill(
        "Pain 6 of 10 at night, 3 by day. Sleeping better."
    )
    nora.get_by_label(re.compile(r"^Caregiver")).fill("Andrew O'Neil shown the pill organiser.")
    nora.get_by_label(re.compile(r"^Plan")).fill("Keep the evening dose; call on Friday.")
    both_widths(browsing, nora, "visit-form")
    nora.get_by_role("button", name="Save and go to signing").click()

    expect(nora.get_by_role("heading", name=re.compile("Sign the note"))).to_be_visible()
    nora.get_by_label(re.compile(r"Edmonton Symptom Assessment System")).check()
    nora.get_by_label("Phase of care recorded in this visit").select_option(index=1)
    both_widths(browsing, nora, "sign-form")
    nora.get_by_role("button", name="Sign the note").click()

    expect(nora.get_by_text("Note signed. It can no longer be changed.")).to_be_visible()
    expect(nora.get_by_test_id("note-status")).to_have_text("Signed")
    expect(nora.get_by_test_id("note-instruments")).to_contain_text("score")
    expect(nora.get_by_test_id("note-instruments")).to_contain_text("Phase of care: Stable")
    expect(nora.get_by_test_id("note-sections")).to_contain_text("Andrew O'Neil")
    expect(nora.get_by_role("link", name="Edit the draft")).to_have_count(0)
    both_widths(browsing, nora, "signed-note")

    note = VisitNote.objects.get(author=nora_user)
    assert note.status == "signed" and note.symptom_reports.count() == 1
    assert note.phase_of_care is not None
    world.alice.episodes.get().refresh_from_db()
    assert world.alice.episodes.get().first_contact_at is not None

    nora.goto(f"/visits/patients/{world.alice.pk}/")
    expect(nora.get_by_test_id("visits")).to_contain_text("Pain follow-up")
    both_widths(browsing, nora, "visit-list")


def test_a_fellows_note_is_cosigned_by_the_supervisor(world, browsing, sign_in):
    from pallio.visits.tests.factories import fellow

    fred_user = fellow(world)
    fred = sign_in(fred_user)
    fred.goto(f"/visits/patients/{world.alice.pk}/new/")
    fred.get_by_label("When the visit or call began").fill(visit_time(world, 2))
    fred.get_by_label("Where the patient was").select_option(label="Outpatient clinic")
    fred.get_by_label("Video").check()
    fred.locator("#id_reason").fill("Breathlessness review")
    fred.get_by_label(re.compile(r"^What the patient and family told us")).fill(
        "More breathless climbing stairs."
    )
    fred.get_by_label(re.compile(r"^Symptoms")).fill("Breathless on exertion; no pain.")
    fred.get_by_label(re.compile(r"^Assessment")).fill("Progressive disease; stable at rest.")
    fred.get_by_label(re.compile(r"^Plan")).fill("Fan, pacing advice; review in a week.")
    fred.get_by_role("button", name="Save and go to signing").click()
    expect(fred.get_by_text(re.compile("waits for the co-signature of Phil"))).to_be_visible()
    fred.get_by_role("button", name="Sign the note").click()
    expect(fred.get_by_text(re.compile(r"waits for Phil Physician's co-signature"))).to_be_visible()
    expect(fred.get_by_test_id("signatures")).to_contain_text(
        "Waiting for the co-signature of Phil Physician"
    )
    fred.goto("/visits/worklist/")
    expect(fred.get_by_test_id("note-worklist")).to_contain_text(
        "Waiting for Phil Physician to co-sign"
    )
    both_widths(browsing, fred, "trainee-worklist")

    phil = sign_in(world.physician)
    phil.goto("/visits/worklist/")
    phil.get_by_role("link", name="Co-sign this note").click()
    expect(phil.get_by_test_id("note-sections")).to_contain_text("More breathless")
    both_widths(browsing, phil, "note-awaiting-cosign")
    phil.get_by_role("button", name="Co-sign the note").click()
    expect(phil.get_by_text("Note co-signed. It is now final.")).to_be_visible()
    expect(phil.get_by_test_id("signatures")).to_contain_text("Co-signed by Phil Physician")
    phil.goto("/visits/worklist/")
    expect(phil.get_by_test_id("note-worklist-empty")).to_be_visible()
    both_widths(browsing, phil, "supervisor-worklist-empty")
    assert VisitNote.objects.get(author=fred_user).cosigned_by == world.physician


def test_a_signed_note_cannot_be_edited_and_bad_input_is_refused(world, browsing, sign_in):
    from pallio.visits.tests.factories import signed

    nina = sign_in(world.navigator)
    # Empty required fields: refused with a clear message, nothing written.
    nina.goto(f"/visits/patients/{world.alice.pk}/new/")
    nina.get_by_label("When the visit or call began").fill("")
    nina.get_by_role("button", name="Save as draft").click()
    expect(nina.get_by_role("alert")).to_contain_text("Nothing has been saved yet")
    expect(nina.get_by_text("This field is required.").first).to_be_visible()
    both_widths(browsing, nina, "visit-form-refused")
    assert not VisitNote.objects.exists()

    note = signed(world.navigator, world.alice)
    nina.goto(f"/visits/notes/{note.pk}/")
    expect(nina.get_by_role("link", name="Edit the draft")).to_have_count(0)
    nina.goto(f"/visits/notes/{note.pk}/edit/")
    expect(nina).to_have_url(re.compile(rf"/visits/notes/{note.pk}/$"))
    expect(nina.get_by_text(re.compile("signed and cannot be changed"))).to_be_visible()

    # A crafted POST of the edit form, with the page's own CSRF token.
    token = nina.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = nina.request.post(
        f"/visits/notes/{note.pk}/edit/",
        form={
            "csrfmiddlewaretoken": token or "",
            "version": str(note.version),
            "setting": "home",
            "mode": "in_person",
            "started_at": visit_time(world),
            "reason": "Rewritten",
            "section_plan": "Rewritten after signing",
        },
    )
    assert response.status == 400
    assert "signed and cannot be changed" in response.text()
    after = VisitNote.objects.get(pk=note.pk)
    assert after.version == note.version and "Rewritten" not in str(after.content)

    nina.get_by_text("Add an addendum", exact=True).click()
    nina.get_by_label("Reason for the addendum").fill("Later information")
    nina.get_by_label(re.compile(r"^Addendum")).fill("Son called: pain settled overnight.")
    nina.get_by_role("button", name="Add addendum").click()
    expect(nina.get_by_test_id("addenda")).to_contain_text("pain settled overnight")
    both_widths(browsing, nina, "signed-note-with-addendum")

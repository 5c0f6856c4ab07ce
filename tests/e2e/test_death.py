"""A death recorded from the chart in the browser, closing the patient's open tasks; a
discharge with a reason and enrolling again; at desk and phone widths, axe-core clean."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pallio.acp.models import PlacePreference
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.episodes.models import DeathRecord, EpisodeOfCare

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def test_record_a_death_from_the_chart_and_its_open_tasks_close(world, browsing, sign_in):
    alice = world.alice
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=30))
    PlacePreference.objects.create(program=world.riverside, patient=alice, place_of_death="home")
    task_create(
        actor=world.navigator,
        patient=alice,
        kind=TaskKind.FOLLOW_UP,
        title="Call the daughter about respite",
        due=clock.today_in(world.riverside.timezone) + timedelta(days=2),
    )
    phil = sign_in(world.physician)
    phil.goto(f"/patients/{alice.pk}/")
    expect(phil.get_by_text("Call the daughter about respite")).to_be_visible()
    phil.get_by_test_id("enrollment").get_by_role("link", name="Record a death").click()
    expect(phil.get_by_text("Preferred place of death:")).to_contain_text("Home")
    browsing.shot(phil, "death-form-1280")
    browsing.axe_check(phil, "death form")
    phil.set_viewport_size(PHONE)
    browsing.shot(phil, "death-form-390")
    phil.set_viewport_size(DESK)

    # A time of death in the future is refused, and nothing is written.
    zone = ZoneInfo(world.riverside.timezone)
    future = (clock.now() + timedelta(hours=3)).astimezone(zone)
    phil.get_by_label("Date and time of death").fill(future.strftime("%Y-%m-%dT%H:%M"))
    phil.get_by_label("Place of death").select_option(label="Hospital ward")
    phil.get_by_role("button", name="Record the death").click()
    expect(phil.get_by_text("The time of death cannot be in the future.")).to_be_visible()
    browsing.axe_check(phil, "death form with errors")
    assert not DeathRecord.objects.exists()

    died = (clock.now() - timedelta(hours=2)).astimezone(zone)
    phil.get_by_label("Date and time of death").fill(died.strftime("%Y-%m-%dT%H:%M"))
    phil.get_by_label("Place of death").select_option(label="Hospital ward")
    phil.get_by_label("Who was present").fill("Her daughter, Zoë O'Neill")
    phil.get_by_label("Was the death expected?").select_option(label="Yes, it was expected")
    phil.get_by_role("button", name="Record the death").click()
    expect(phil.get_by_text("Death recorded.")).to_be_visible()

    record = phil.get_by_test_id("death-record")
    expect(record).to_contain_text("Hospital ward")
    expect(record).to_contain_text("died elsewhere")
    expect(record).to_contain_text("Her daughter, Zoë O'Neill")
    expect(phil.get_by_test_id("enrollment-history")).to_contain_text("discharged, died")
    # Every open task closed; the one open now is the family's bereavement follow-up, which
    # asks for a family contact since none is on record.
    expect(phil.get_by_text("Add a family contact for the bereavement follow-up")).to_be_visible()
    assert [t.title for t in Task.objects.filter(patient=world.alice, status="open")] == [
        "Add a family contact for the bereavement follow-up"
    ]
    expect(
        phil.get_by_test_id("enrollment").get_by_role("link", name="Record a death")
    ).to_have_count(0)
    browsing.shot(phil, "chart-after-death-1280")
    browsing.axe_check(phil, "chart after a death")
    phil.set_viewport_size(PHONE)
    browsing.shot(phil, "chart-after-death-390")
    tasks_before = Task.objects.filter(patient=alice).exclude(
        title="Add a family contact for the bereavement follow-up"
    )
    assert set(tasks_before.values_list("status", "cancel_reason")) == {
        ("cancelled", "Patient died")
    }


def test_discharge_with_a_reason_and_enroll_again(world, browsing, sign_in):
    alice = world.alice
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=30))
    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{alice.pk}/")
    nina.get_by_test_id("enrollment").get_by_role("link", name="Discharge").click()
    nina.get_by_label("Reason for discharge").select_option(label="Other reason")
    nina.get_by_role("button", name="Discharge").click()
    expect(nina.get_by_text("This field is required.")).to_be_visible()
    browsing.shot(nina, "discharge-errors-1280")
    browsing.axe_check(nina, "discharge form with errors")
    nina.get_by_label("Reason for discharge").select_option(label="Goals met, stable")
    nina.get_by_label("Note for the record").fill("Pain controlled; back with her oncologist.")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "discharge-390")
    nina.set_viewport_size(DESK)
    nina.get_by_role("button", name="Discharge").click()
    # Off the team now: back to her caseload, where the patient no longer is.
    expect(nina.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(nina.get_by_text("Discharged from the program.")).to_be_visible()
    expect(nina.get_by_text("Alice Anders")).to_have_count(0)

    cora = sign_in(world.coordinator)
    cora.goto(f"/patients/{alice.pk}/")
    expect(cora.get_by_test_id("enrollment-history")).to_contain_text(
        "discharged, goals met, stable (Pain controlled; back with her oncologist.)"
    )
    cora.get_by_test_id("enrollment").get_by_role("link", name="Enroll again").click()
    browsing.shot(cora, "enroll-again-1280")
    browsing.axe_check(cora, "enroll again")
    due = clock.today_in(world.riverside.timezone) + timedelta(days=2)
    cora.get_by_label("First visit by").fill(due.isoformat())
    cora.get_by_label("Why the patient comes back").fill("Pain back after chemotherapy stopped.")
    cora.set_viewport_size(PHONE)
    browsing.shot(cora, "enroll-again-390")
    cora.set_viewport_size(DESK)
    cora.get_by_role("button", name="Enroll again").click()
    expect(cora.get_by_text("Enrolled again: a new episode of care has started.")).to_be_visible()
    expect(cora.get_by_test_id("enrollment-history").get_by_role("listitem")).to_have_count(2)
    expect(cora.get_by_text("First contact after enrolling again")).to_be_visible()
    browsing.axe_check(cora, "chart after enrolling again")
    assert alice.episodes.filter(status="active").count() == 1

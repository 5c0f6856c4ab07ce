"""The weekly team meeting in the browser: planned from the team's page with its agenda built
from the record, run (attendance, a note, a decision that becomes a task) and closed with
signed minutes, at desk and phone widths."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pallio.assessments.tests.samples import riverside_alert
from pallio.careplans.models import IdtMeeting, Task, TaskKind
from pallio.careplans.tests.idt_samples import riverside_team
from pallio.core import clock

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def test_run_a_team_meeting_from_its_agenda_to_signed_minutes(world, browsing, sign_in):
    riverside_alert(world)  # severe pain reported: alice has an open alert
    team = riverside_team(world)
    phil = sign_in(world.physician)
    browsing.nav(phil, "Team meetings")
    phil.get_by_role("link", name="Riverside North").click()
    browsing.shot(phil, "team")
    browsing.axe_check(phil, "team page")
    phil.get_by_role("button", name="Plan the meeting and build its agenda").click()
    expect(
        phil.get_by_text("Meeting planned and its agenda built from the record.")
    ).to_be_visible()

    item = phil.get_by_test_id("agenda-item").filter(has_text="Alice Anders")
    reasons = item.get_by_test_id("reasons")
    expect(reasons).to_contain_text("New admission: Admitted to the program")
    expect(reasons).to_contain_text("Open alert: Severe symptom")
    expect(phil.get_by_test_id("meeting-status")).to_have_text("Planned")
    browsing.shot(phil, "agenda-1280")
    browsing.axe_check(phil, "agenda")
    phil.set_viewport_size(PHONE)
    browsing.shot(phil, "agenda-390")
    phil.set_viewport_size(DESK)

    phil.get_by_role("button", name="Start the meeting").click()
    expect(phil.get_by_text("Meeting started.")).to_be_visible()
    expect(phil.get_by_test_id("meeting-status")).to_have_text("In progress")

    phil.get_by_text("Take attendance").click()
    phil.get_by_label("Nina Navigator (Nurse navigator)").check()
    phil.get_by_label("Phil Physician (Palliative physician)").check()
    phil.get_by_label("Others who joined").select_option(
        label="Sam Social (Social worker / counselor)"
    )
    phil.get_by_role("button", name="Save attendance").click()
    expect(phil.get_by_test_id("attendance")).to_contain_text(
        "Sam Social · Social worker / counselor"
    )
    expect(phil.get_by_test_id("attendance")).to_contain_text(
        "Phil Physician · Palliative physician"
    )

    item = phil.get_by_test_id("agenda-item").filter(has_text="Alice Anders")
    item.get_by_label("Discussion notes").fill("Pain 9 on Monday; patch increased, better today.")
    item.get_by_label("Mark this patient discussed").check()
    item.get_by_role("button", name="Save notes for Alice Anders").click()
    expect(phil.get_by_text("Notes saved for Alice Anders.")).to_be_visible()
    item = phil.get_by_test_id("agenda-item").filter(has_text="Alice Anders")
    expect(item.get_by_text("Discussed", exact=True)).to_be_visible()

    item.get_by_text("Record a decision for Alice Anders").click()
    item.get_by_label("The decision becomes").select_option(label="Task")
    item.get_by_label(re.compile(r"^Decision\b")).fill("Call Alice tomorrow about the new patch")
    item.get_by_label("Task for").select_option(label="Nina Navigator (Nurse navigator)")
    due = clock.today_in(world.riverside.timezone) + timedelta(days=1)
    item.get_by_label("Task due on").fill(due.isoformat())
    browsing.shot(phil, "decision-form")
    browsing.axe_check(phil, "meeting with the decision form open")
    item.get_by_role("button", name="Record the decision").click()
    expect(phil.get_by_text("Decision recorded for Alice Anders: task.")).to_be_visible()
    item = phil.get_by_test_id("agenda-item").filter(has_text="Alice Anders")
    expect(item.get_by_test_id("decisions")).to_contain_text(
        "Task: Call Alice tomorrow about the new patch — for Nina Navigator"
    )
    task = Task.objects.get(kind=TaskKind.IDT_DECISION)
    assert task.assigned_to == world.navigator and task.due == due
    browsing.shot(phil, "meeting-in-progress")

    phil.get_by_role("link", name="Write and sign the minutes").click()
    minutes = phil.get_by_label("Minutes")
    expect(minutes).to_have_value(re.compile(r"Discussion: Pain 9 on Monday; patch increased"))
    browsing.shot(phil, "minutes-draft")
    browsing.axe_check(phil, "minutes draft")
    minutes.fill(minutes.input_value() + "\nNext review in two weeks.")
    phil.get_by_role("button", name="Sign the minutes").click()
    expect(phil.get_by_text("Minutes signed.")).to_be_visible()
    expect(phil.get_by_test_id("minutes")).to_contain_text("Next review in two weeks.")
    expect(phil.get_by_test_id("minutes")).to_contain_text(
        "Decision (task): Call Alice tomorrow about the new patch, for Nina Navigator"
    )
    browsing.shot(phil, "minutes-signed-1280")
    browsing.axe_check(phil, "signed minutes")
    phil.set_viewport_size(PHONE)
    browsing.shot(phil, "minutes-signed-390")
    phil.set_viewport_size(DESK)

    meeting = IdtMeeting.objects.get(team=team)
    assert meeting.is_signed and meeting.signed_by == world.physician
    phil.get_by_role("link", name="Back to the meeting").click()
    expect(phil.get_by_test_id("meeting-status")).to_have_text("Minutes signed")
    expect(phil.get_by_role("button", name="Save notes for Alice Anders")).to_have_count(0)
    expect(phil.get_by_test_id("discussion")).to_contain_text("patch increased")
    phil.set_viewport_size(PHONE)
    browsing.shot(phil, "meeting-signed-390")


def test_the_medical_director_sees_who_was_not_discussed(world, browsing, sign_in):
    dana = sign_in(world.director)
    dana.goto("/team-meetings/not-discussed/")
    expect(
        dana.get_by_role("heading", name="Patients not discussed in the last 14 days")
    ).to_be_visible()
    expect(dana.get_by_test_id("not-discussed")).to_contain_text("Alice Anders")
    expect(dana.get_by_test_id("not-discussed")).to_contain_text("Never")
    browsing.shot(dana, "not-discussed-1280")
    browsing.axe_check(dana, "not discussed")
    dana.set_viewport_size(PHONE)
    browsing.shot(dana, "not-discussed-390")


def test_the_medical_director_creates_a_team(world, browsing, sign_in):
    dana = sign_in(world.director)
    browsing.nav(dana, "Team meetings")
    dana.get_by_role("link", name="Create a team").click()
    dana.get_by_role("button", name="Create the team").click()
    expect(dana.get_by_text("Please correct the fields marked below.")).to_be_visible()
    dana.get_by_label("Team name").fill("South team")
    dana.get_by_label("Meets every").select_option(label="Friday")
    dana.get_by_label("Nina Navigator (Nurse navigator)").check()
    dana.get_by_label("Sam Social (Social worker / counselor)").check()
    browsing.shot(dana, "team-form-1280")
    browsing.axe_check(dana, "team form")
    dana.set_viewport_size(PHONE)
    browsing.shot(dana, "team-form-390")
    dana.set_viewport_size(DESK)
    dana.get_by_role("button", name="Create the team").click()
    expect(dana.get_by_text("Team South team created.")).to_be_visible()
    expect(dana.get_by_role("heading", name="South team")).to_be_visible()
    expect(dana.get_by_text("Meets every Friday at 13:00.")).to_be_visible()

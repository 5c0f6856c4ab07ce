"""The task list in the browser: complete with an outcome, cancel with a reason, reassign;
looked at on a phone and a desktop screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pallio.careplans import services
from pallio.careplans.models import Task
from pallio.careplans.tests.factories import today_of

pytestmark = pytest.mark.browser


def test_complete_cancel_and_reassign_tasks(world, browsing, sign_in):
    episode = world.alice.episodes.get(status="active")
    for title in ("Order a hospital bed", "Call the pharmacy", "Visit on Friday"):
        services.task_create(
            actor=world.physician,
            patient=world.alice,
            episode=episode,
            kind="care_plan",
            title=title,
            due=today_of(world.alice),
            assigned_to=world.navigator,
        )
    nina = sign_in(world.navigator)
    browsing.nav(nina, "Tasks")
    expect(nina.get_by_role("heading", name="Tasks")).to_be_visible()
    browsing.shot(nina, "tasks-1280")
    browsing.axe_check(nina, "task list")
    nina.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(nina, "tasks-390")
    nina.set_viewport_size({"width": 1280, "height": 900})

    bed = nina.get_by_test_id("task").filter(has_text="Order a hospital bed")
    bed.locator("summary", has_text="Complete").click()
    bed.get_by_role("button", name="Mark done").click()
    expect(nina.get_by_text("This field is required.")).to_be_visible()
    bed = nina.get_by_test_id("task").filter(has_text="Order a hospital bed")
    bed.get_by_label("What was done").fill("Bed arrives Thursday")
    bed.get_by_role("button", name="Mark done").click()
    expect(nina.get_by_text("Task completed.")).to_be_visible()

    pharmacy = nina.get_by_test_id("task").filter(has_text="Call the pharmacy")
    pharmacy.locator("summary", has_text="Cancel").click()
    pharmacy.get_by_label("Why it is no longer needed").fill("Family already called")
    pharmacy.get_by_role("button", name="Cancel task").click()
    expect(nina.get_by_text("Task cancelled.")).to_be_visible()

    visit = nina.get_by_test_id("task").filter(has_text="Visit on Friday")
    visit.locator("summary", has_text="Reassign").click()
    visit.get_by_label("Give to").select_option(value=str(world.physician.uuid))
    visit.get_by_role("button", name="Reassign").click()
    expect(nina.get_by_text("Task reassigned.")).to_be_visible()
    expect(nina.get_by_test_id("tasks")).not_to_contain_text("Visit on Friday")

    assert Task.objects.get(title="Order a hospital bed").outcome == "Bed arrives Thursday"
    assert Task.objects.get(title="Call the pharmacy").cancel_reason == "Family already called"
    assert Task.objects.get(title="Visit on Friday").assigned_to == world.physician

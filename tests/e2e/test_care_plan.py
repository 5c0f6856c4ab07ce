"""The care plan in the browser: two clinicians edit the same goal and the second is told,
with nothing overwritten; a problem and a goal added; progress and a plan review recorded."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pallio.careplans.models import CarePlan, Goal, GoalReview
from pallio.careplans.tests.factories import plan_of, today_of

pytestmark = pytest.mark.browser


def test_a_second_editor_sees_the_conflict_and_nothing_is_overwritten(world, browsing, sign_in):
    goal = plan_of(world)["goal"]
    edit = f"/plans/{world.alice.pk}/goals/{goal.pk}/"
    phil, nina = sign_in(world.physician), sign_in(world.navigator)
    phil.goto(edit)
    nina.goto(edit)
    browsing.axe_check(phil, "goal edit form")

    nina.get_by_label("Measurable target").fill("Pain 2 or less by the weekend")
    nina.get_by_role("button", name="Save").click()
    expect(nina.get_by_text("Goal saved.")).to_be_visible()

    phil.get_by_label("Measurable target").fill("Pain 3 or less, walking to the garden daily")
    phil.get_by_role("button", name="Save").click()
    expect(phil.get_by_test_id("conflict")).to_contain_text("changed by someone else")
    expect(phil.get_by_test_id("current-values")).to_contain_text("Pain 2 or less by the weekend")
    expect(phil.get_by_label("Measurable target")).to_have_value(
        "Pain 3 or less, walking to the garden daily"
    )
    browsing.shot(phil, "goal-conflict")
    browsing.axe_check(phil, "goal conflict")
    assert Goal.objects.get(pk=goal.pk).target == "Pain 2 or less by the weekend"

    # Having seen Nina's version, Phil saves his deliberately.
    phil.get_by_role("button", name="Save my version").click()
    expect(phil.get_by_text("Goal saved.")).to_be_visible()
    goal.refresh_from_db()
    assert goal.target == "Pain 3 or less, walking to the garden daily"
    assert goal.history.count() == 3


def test_add_a_problem_and_a_goal_and_record_progress(world, browsing, sign_in):
    phil = sign_in(world.physician)
    phil.goto(f"/plans/{world.alice.pk}/")
    expect(phil.get_by_role("heading", name="Care plan", exact=True)).to_be_visible()
    browsing.axe_check(phil, "empty care plan")

    phil.get_by_text("Add a problem").click()
    phil.get_by_role("combobox", name=re.compile(r"^Problem")).select_option(
        label="Shortness of breath"
    )
    phil.get_by_label("Detail").first.fill("Worse on the stairs")
    phil.get_by_role("button", name="Add problem").click()
    expect(phil.get_by_text("Problem added to the plan.")).to_be_visible()
    expect(phil.get_by_test_id("domain-physical")).to_contain_text("Shortness of breath")

    phil.get_by_text("Add a goal").click()
    phil.get_by_role("button", name="Add goal").click()
    expect(phil.get_by_text("This field is required.").first).to_be_visible()
    phil.get_by_label("The goal, in the patient's own words").fill(
        "I want to climb the stairs to my bedroom."
    )
    phil.get_by_label("Measurable target").fill("Breathless 4 or less on the stairs")
    phil.get_by_label("Review by").fill((today_of(world.alice) + timedelta(days=14)).isoformat())
    phil.get_by_label("For the problem").first.select_option(label="Shortness of breath")
    phil.get_by_role("button", name="Add goal").click()
    expect(phil.get_by_text("Goal added to the plan.")).to_be_visible()

    phil.locator("summary", has_text="Record progress").click()
    phil.get_by_label("Partly met").check()
    phil.get_by_label("Comment").fill("Manages half the flight.")
    phil.get_by_role("button", name="Record progress").click()
    expect(phil.get_by_text("Progress recorded.")).to_be_visible()
    expect(phil.get_by_test_id("goal-outcome")).to_have_text("Partly met")
    expect(phil.get_by_test_id("goal-latest-review")).to_contain_text("Phil Physician")

    phil.get_by_role("button", name="Record plan review").click()
    expect(phil.get_by_test_id("plan-review")).to_contain_text("Last reviewed")
    browsing.shot(phil, "care-plan-1280")
    browsing.axe_check(phil, "care plan with a goal")
    phil.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(phil, "care-plan-390")

    phil.get_by_role("link", name="History of changes").click()
    expect(phil.get_by_test_id("history")).to_contain_text("Progress reviewed")
    browsing.shot(phil, "care-plan-history")
    browsing.axe_check(phil, "care plan history")
    assert GoalReview.objects.get().outcome == "partly_met"
    assert CarePlan.objects.get().last_reviewed_by == world.physician

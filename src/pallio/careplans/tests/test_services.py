"""Care-plan services: edits with versions (a stale edit is a conflict, never an overwrite),
history kept, goal reviews, entered-in-error, plan review, privileges and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from tests.support.personas import add_to_team

from pallio.acp import services as acp
from pallio.acp.tests.factories import conversation_input
from pallio.audit.models import AuditEvent
from pallio.careplans import services
from pallio.careplans.catalog import problem_catalog
from pallio.careplans.models import PROBLEM_SYSTEM, Goal, Problem, Task, TaskKind
from pallio.careplans.selectors import care_plan_history_for
from pallio.careplans.tests.factories import plan_of, today_of
from pallio.core import clock
from pallio.core.codes import SNOMED
from pallio.core.models import ConflictError
from pallio.core.privileges import PrivilegeDenied

pytestmark = pytest.mark.django_db


def test_the_catalog_codes_every_problem_and_names_the_source_of_each_snomed_code():
    catalog = problem_catalog()
    assert len({p.key for p in catalog}) == len(catalog)
    assert {p.domain for p in catalog} >= {"physical", "psychological", "social", "spiritual"}
    for problem in catalog:
        assert problem.system in (SNOMED, PROBLEM_SYSTEM)
        assert problem.source
        if problem.system == SNOMED:
            assert problem.code.isdigit() and "SNOMED CT" in problem.source


def test_a_stale_goal_edit_is_a_conflict_and_the_first_edit_stays(world):
    items = plan_of(world)
    goal = items["goal"]
    read_by_first = goal.version
    services.goal_update(
        actor=world.physician,
        goal=goal,
        expected_version=read_by_first,
        patient_words="I want to sit in the garden every afternoon.",
        target="Pain 3 or less at 4 pm",
        review_date=goal.review_date,
        problem=goal.problem,
    )
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.goal_update(
            actor=world.navigator,
            goal=Goal.objects.get(pk=goal.pk),
            expected_version=read_by_first,
            patient_words="Something else entirely",
            target="Other target",
            review_date=goal.review_date,
        )
    goal.refresh_from_db()
    assert goal.patient_words == "I want to sit in the garden every afternoon."
    assert goal.updated_by == world.physician
    assert goal.version == read_by_first + 1
    # Every prior version is kept.
    assert [h.target for h in goal.history.order_by("history_date")] == [
        "Pain 3 or less on most days",
        "Pain 3 or less at 4 pm",
    ]


def test_a_problem_edit_keeps_history_and_is_audited(world):
    problem = plan_of(world)["problem"]
    services.problem_update(
        actor=world.navigator,
        problem=problem,
        expected_version=problem.version,
        domain="physical",
        code_system=SNOMED,
        code="22253000",
        display="Pain",
        detail="Hip and lower back.",
        status="active",
    )
    assert problem.history.count() == 2
    assert AuditEvent.objects.filter(
        event="care_plan.problem.update", patient_id=world.alice.pk
    ).exists()
    with pytest.raises(ConflictError):
        services.problem_update(
            actor=world.navigator,
            problem=problem,
            expected_version=1,
            domain="physical",
            code_system=SNOMED,
            code="22253000",
            display="Pain",
        )


def test_an_intervention_edit_checks_its_version_and_input(world):
    intervention = plan_of(world)["intervention"]
    with pytest.raises(ValidationError):
        services.intervention_update(
            actor=world.physician,
            intervention=intervention,
            expected_version=intervention.version,
            description="",
            discipline="nobody",
        )
    services.intervention_update(
        actor=world.physician,
        intervention=intervention,
        expected_version=intervention.version,
        description="Rotate to another opioid",
        discipline="physician",
        status="stopped",
    )
    intervention.refresh_from_db()
    assert (intervention.status, intervention.version) == ("stopped", 2)


def test_a_snomed_code_must_look_like_one(world):
    plan = plan_of(world)["plan"]
    with pytest.raises(ValidationError) as refused:
        services.problem_add(
            actor=world.physician,
            plan=plan,
            domain="physical",
            code_system=SNOMED,
            code="PAIN",
            display="Pain",
        )
    assert "6 to 18 digits" in str(refused.value)


def test_goal_reviews_record_who_and_when_and_a_final_outcome_closes_the_goal(world):
    goal = plan_of(world)["goal"]
    moment = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with clock.frozen(moment):
        next_review = today_of(world.alice) + timedelta(days=7)
        review = services.goal_review_record(
            actor=world.navigator,
            goal=goal,
            outcome="partly_met",
            comment="Walks to the garden twice a week.",
            next_review_date=next_review,
        )
    goal.refresh_from_db()
    assert (review.reviewed_by, review.reviewed_at) == (world.navigator, moment)
    assert (goal.status, goal.latest_outcome, goal.review_date) == (
        "active",
        "partly_met",
        next_review,
    )
    services.goal_review_record(actor=world.physician, goal=goal, outcome="met")
    goal.refresh_from_db()
    assert (goal.status, goal.latest_outcome) == ("closed", "met")
    with pytest.raises(ValidationError, match="closed"):
        services.goal_review_record(actor=world.physician, goal=goal, outcome="not_met")
    assert AuditEvent.objects.filter(event="care_plan.goal.review").count() == 2


def test_entered_in_error_keeps_the_item_with_who_and_why_and_freezes_it(world):
    problem = plan_of(world)["problem"]
    with pytest.raises(ValidationError):
        services.plan_item_mark_entered_in_error(actor=world.physician, item=problem, reason="")
    services.plan_item_mark_entered_in_error(
        actor=world.physician, item=problem, reason="Wrong patient"
    )
    problem = Problem.objects.get(pk=problem.pk)
    assert problem.entered_in_error and problem.entered_in_error_by == world.physician
    assert problem.entered_in_error_reason == "Wrong patient"
    with pytest.raises(ValidationError, match="entered in error"):
        services.problem_update(
            actor=world.physician,
            problem=problem,
            expected_version=problem.version,
            domain="physical",
            code_system=SNOMED,
            code="22253000",
            display="Pain",
        )


def test_a_plan_review_sets_who_when_and_the_next_due_date_from_the_program(world):
    plan = plan_of(world)["plan"]
    world.riverside.settings = {**(world.riverside.settings or {}), "care_plan_review_days": 14}
    world.riverside.save()
    plan.refresh_from_db()
    services.care_plan_review_record(actor=world.director, plan=plan)
    plan.refresh_from_db()
    assert plan.last_reviewed_by == world.director
    assert plan.last_reviewed_at is not None
    assert plan.review_due == today_of(world.alice) + timedelta(days=14)
    assert AuditEvent.objects.filter(event="care_plan.review", patient_id=world.alice.pk).exists()


def test_a_goal_links_only_a_signed_conversation_of_the_same_patient(world):
    plan = plan_of(world)["plan"]
    draft = acp.conversation_create(
        actor=world.physician, patient=world.alice, data=conversation_input(), sign=False
    )
    with pytest.raises(ValidationError, match="signed"):
        services.goal_add(
            actor=world.physician,
            plan=plan,
            patient_words="To be at home",
            target="No admissions",
            review_date=today_of(world.alice),
            conversation=draft,
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda w, i: services.goal_review_record(actor=w.volunteer, goal=i["goal"], outcome="met"),
        lambda w, i: services.plan_item_mark_entered_in_error(
            actor=w.volunteer, item=i["problem"], reason="Wrong"
        ),
        lambda w, i: services.care_plan_review_record(actor=w.volunteer, plan=i["plan"]),
        lambda w, i: services.goal_update(
            actor=w.volunteer,
            goal=i["goal"],
            expected_version=1,
            patient_words="x",
            target="y",
            review_date=i["goal"].review_date,
        ),
    ],
)
def test_a_volunteer_on_the_team_is_refused_with_the_plain_message(world, call):
    items = plan_of(world)
    world.volunteer = add_to_team(world, "vic", "volunteer", "Vic", "Volunteer")
    before = (Goal.objects.get(pk=items["goal"].pk).version, items["plan"].version)
    with pytest.raises(PrivilegeDenied, match=r"^A volunteer may not "):
        call(world, items)
    assert (Goal.objects.get(pk=items["goal"].pk).version, items["plan"].version) == before


def test_every_kind_of_task_can_be_closed_and_first_contact_closes_itself(world):
    first_contact = Task.objects.get(patient=world.alice, kind=TaskKind.FIRST_CONTACT)
    episode = world.alice.episodes.get(status="active")
    closed = services.first_contact_tasks_close(
        actor=world.navigator, episode=episode, contact_at=clock.now(), how="telephone call"
    )
    first_contact.refresh_from_db()
    assert closed == 1 and first_contact.status == "done"
    assert "telephone call" in first_contact.outcome
    for kind in TaskKind.values:
        task = services.task_create(
            actor=world.physician,
            patient=world.alice,
            episode=episode,
            kind=kind,
            title=f"A {kind} task",
            due=today_of(world.alice),
        )
        services.task_complete(actor=world.physician, task=task, outcome="Done.")
        assert Task.objects.get(pk=task.pk).status == "done"


def test_task_complete_cancel_and_reassign_check_versions_and_are_audited(world):
    task = plan_of(world)["task"]
    services.task_reassign(
        actor=world.physician, task=task, assigned_to=world.navigator, expected_version=1
    )
    with pytest.raises(ConflictError):
        services.task_cancel(actor=world.physician, task=task, reason="No", expected_version=1)
    with pytest.raises(ValidationError):
        services.task_cancel(actor=world.physician, task=task, reason="", expected_version=2)
    services.task_cancel(actor=world.physician, task=task, reason="Not needed", expected_version=2)
    task.refresh_from_db()
    assert (task.status, task.cancel_reason, task.closed_by) == (
        "cancelled",
        "Not needed",
        world.physician,
    )
    events = set(
        AuditEvent.objects.filter(patient_id=world.alice.pk).values_list("event", flat=True)
    )
    assert {"task.reassign", "task.cancel", "task.create"} <= events


def test_the_history_shows_who_changed_what(world):
    goal = plan_of(world)["goal"]
    services.goal_update(
        actor=world.navigator,
        goal=goal,
        expected_version=goal.version,
        patient_words=goal.patient_words,
        target="Pain 2 or less",
        review_date=goal.review_date,
        problem=goal.problem,
        conversation=goal.conversation,
    )
    context = care_plan_history_for(world.physician, world.alice.pk, 1)
    entries = list(context["page"])
    changed = next(e for e in entries if e.verb == "Changed" and e.kind == "goal")
    assert changed.who == world.navigator
    assert ("Measurable target", "Pain 3 or less on most days", "Pain 2 or less") in changed.changes
    assert AuditEvent.objects.filter(event="care_plan.history.read").exists()


def test_every_write_is_audited_in_its_own_event(world):
    items = plan_of(world)
    goal, problem, intervention, plan = (
        items["goal"],
        items["problem"],
        items["intervention"],
        items["plan"],
    )
    services.problem_update(
        actor=world.physician,
        problem=problem,
        expected_version=problem.version,
        domain="physical",
        code_system=SNOMED,
        code="22253000",
        display="Pain",
    )
    services.goal_update(
        actor=world.physician,
        goal=goal,
        expected_version=goal.version,
        patient_words=goal.patient_words,
        target="Pain 2",
        review_date=goal.review_date,
    )
    services.intervention_update(
        actor=world.physician,
        intervention=intervention,
        expected_version=intervention.version,
        description="Rotate",
        discipline="physician",
    )
    services.goal_review_record(actor=world.physician, goal=goal, outcome="partly_met")
    services.care_plan_review_record(actor=world.physician, plan=plan)
    services.plan_item_mark_entered_in_error(
        actor=world.physician, item=intervention, reason="Duplicate"
    )
    services.task_complete(actor=world.physician, task=items["task"], outcome="Done")
    events = set(
        AuditEvent.objects.filter(patient_id=world.alice.pk).values_list("event", flat=True)
    )
    assert {
        "care_plan.create",
        "care_plan.problem.add",
        "care_plan.goal.add",
        "care_plan.intervention.add",
        "care_plan.problem.update",
        "care_plan.goal.update",
        "care_plan.intervention.update",
        "care_plan.goal.review",
        "care_plan.review",
        "care_plan.intervention.entered_in_error",
        "task.create",
        "task.complete",
    } <= events


def test_a_task_goes_only_to_someone_who_can_open_the_patients_record(world):
    task = plan_of(world)["task"]
    with pytest.raises(ValidationError, match="not on this patient's care team"):
        services.task_reassign(actor=world.physician, task=task, assigned_to=world.social_worker)
    assert Task.objects.get(pk=task.pk).assigned_to is None
    services.task_reassign(actor=world.physician, task=task, assigned_to=world.director)
    assert Task.objects.get(pk=task.pk).assigned_to == world.director

"""A care plan with one of each item, for the tests of this app and the security walks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pallio.acp import services as acp
from pallio.acp.tests.factories import conversation_input
from pallio.careplans import services
from pallio.careplans.models import PROBLEM_SYSTEM, Task
from pallio.core import clock
from pallio.core.codes import SNOMED


def today_of(patient: Any) -> Any:
    return clock.today_in(patient.program.timezone)


def plan_of(world: Any, patient: Any = None, actor: Any = None) -> dict[str, Any]:
    """Alice's (by default) care plan: a pain problem with a goal from a signed conversation,
    an intervention with a task, and a social problem. Made once per patient."""
    patient = patient or world.alice
    actor = actor or world.physician
    episode = patient.episodes.get(status="active")
    plan = services.care_plan_for_episode(actor=actor, episode=episode)
    existing = plan.problems.order_by("created_at").first()
    if existing is not None:
        return {
            "plan": plan,
            "problem": existing,
            "goal": plan.goals.order_by("created_at").first(),
            "intervention": plan.interventions.order_by("created_at").first(),
            "task": Task.objects.filter(intervention__plan=plan).order_by("created_at").first(),
        }
    conversation = acp.conversation_create(
        actor=actor, patient=patient, data=conversation_input("comfort-focused"), sign=True
    )
    problem = services.problem_add(
        actor=actor,
        plan=plan,
        domain="physical",
        code_system=SNOMED,
        code="22253000",
        display="Pain",
        detail="Bone pain in the hip.",
    )
    services.problem_add(
        actor=actor,
        plan=plan,
        domain="social",
        code_system=PROBLEM_SYSTEM,
        code="SOC-CAREGIVER",
        display="Caregiver strain",
    )
    goal = services.goal_add(
        actor=actor,
        plan=plan,
        patient_words="I want to walk to the garden without pain.",
        target="Pain 3 or less on most days",
        review_date=today_of(patient) + timedelta(days=14),
        problem=problem,
        conversation=conversation,
    )
    intervention = services.intervention_add(
        actor=actor,
        plan=plan,
        description="Titrate the long-acting opioid",
        discipline="physician",
        problem=problem,
        goal=goal,
    )
    task = services.task_create(
        actor=actor,
        patient=patient,
        episode=episode,
        kind="care_plan",
        title="Call about the new dose",
        due=today_of(patient) + timedelta(days=2),
        discipline="nurse",
        intervention=intervention,
    )
    return {
        "plan": plan,
        "problem": problem,
        "goal": goal,
        "intervention": intervention,
        "task": task,
        "conversation": conversation,
    }

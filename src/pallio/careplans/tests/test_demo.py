"""The demo's care plans: every enrolled patient has one, across the domains, with goals
linked to conversations, tasks for people and for discipline lists, reviews and history."""

from __future__ import annotations

import pytest
from django.db.models import Q

from pallio.audit.models import AuditEvent
from pallio.careplans.models import CarePlan, Goal, GoalReview, Intervention, Problem, Task
from pallio.episodes.models import EpisodeOfCare
from pallio.programs.demo import demo_load

pytestmark = pytest.mark.django_db


def test_every_enrolled_demo_patient_has_a_care_plan():
    demo_load(patients=60, seed=7)
    # Enrolled when the plans were made: still active, or discharged since by the demo's
    # deaths and discharges (those carry a discharge reason; older finished episodes do not).
    enrolled = (
        EpisodeOfCare.objects.filter(program__slug="demo")
        .filter(Q(status="active") | ~Q(discharge_reason=""))
        .count()
    )
    plans = CarePlan.objects.filter(program__slug="demo")
    assert enrolled and plans.count() == enrolled
    assert Problem.objects.filter(plan__in=plans).values("domain").distinct().count() >= 5
    assert Goal.objects.filter(plan__in=plans, conversation__isnull=False).exists()
    assert Intervention.objects.filter(plan__in=plans).values("discipline").distinct().count() >= 4
    tasks = Task.objects.filter(program__slug="demo", kind="care_plan")
    assert tasks.filter(assigned_to__isnull=True).exists()
    assert tasks.filter(assigned_to__isnull=False).exists()
    assert GoalReview.objects.filter(goal__plan__in=plans).exists()
    assert (
        Problem.history.filter(plan_id__in=plans.values("pk")).count()
        == Problem.objects.filter(plan__in=plans).count()
    )
    assert AuditEvent.objects.filter(event="demo.care_plans").exists()

"""The chart's compact views of the care plan, the latest visit notes and the summaries sent.

Read for a patient already reached through patient_get_for, in a fixed number of queries
whatever the size of the record (four), through ``apps.get_model`` so that patients does not
import the apps that import it. The careplans and visits pages hold the full records; these
sections say what is there and link to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Min, Q

from pallio.patients.timeline import TimelineKind, care_plan_url, timeline_url, url_or_empty

LATEST_NOTES = 5
LATEST_SUMMARIES = 5


@dataclass
class PlanGlance:
    plan: Any
    active_problems: int
    active_goals: int
    next_review: date | None
    url: str


def chart_plan_of(patient: Any) -> PlanGlance | None:
    """The plan of the patient's current (else latest) episode: how many active problems and
    goals, and when it is next reviewed (the plan's review or the earliest goal review)."""
    plan_model = apps.get_model("careplans", "CarePlan")
    live = Q(problems__entered_in_error=False, problems__status="active")
    live_goal = Q(goals__entered_in_error=False, goals__status="active")
    plan = (
        plan_model.objects.filter(patient_id=patient.pk)
        .annotate(
            active_problems=Count("problems", filter=live, distinct=True),
            active_goals=Count("goals", filter=live_goal, distinct=True),
            next_goal_review=Min("goals__review_date", filter=live_goal),
        )
        .order_by(F("episode__end").desc(nulls_first=True), "-created_at")  # open episode first
        .first()
    )
    if plan is None:
        return None
    reviews = [d for d in (plan.review_due, plan.next_goal_review) if d is not None]
    return PlanGlance(
        plan=plan,
        active_problems=plan.active_problems,
        active_goals=plan.active_goals,
        next_review=min(reviews) if reviews else None,
        url=care_plan_url(patient.pk),
    )


def chart_notes_of(patient: Any) -> list[Any]:
    """The latest visit notes of any status, entered-in-error ones included (shown struck)."""
    note_model = apps.get_model("visits", "VisitNote")
    notes: list[Any] = list(
        note_model.objects.filter(patient_id=patient.pk)
        .select_related("author", "template", "visit", "cosigned_by", "entered_in_error_by")
        .order_by("-created_at", "-pk")[:LATEST_NOTES]
    )
    for note in notes:
        note.chart_link = url_or_empty("visits:note", note_id=note.pk)
    return notes


def chart_summaries_of(patient: Any) -> list[Any]:
    """The latest visit summaries, each with its deliveries and their status."""
    summary_model = apps.get_model("visits", "VisitSummary")
    delivery_model = apps.get_model("visits", "SummaryDelivery")
    latest = summary_model.objects.filter(patient_id=patient.pk).order_by("-created_at", "-pk")[
        :LATEST_SUMMARIES
    ]
    summaries: list[Any] = list(latest.select_related("visit"))
    # One query for the deliveries, made whether or not there are summaries, so the chart
    # costs the same queries for a new patient and a long record.
    deliveries: dict[Any, list[Any]] = {}
    for delivery in delivery_model.objects.filter(summary_id__in=latest.values("pk")).order_by(
        "audience", "pk"
    ):
        deliveries.setdefault(delivery.summary_id, []).append(delivery)
    for summary in summaries:
        summary.delivery_list = deliveries.get(summary.pk, [])
        summary.chart_link = url_or_empty(
            "summaries:detail", patient_id=patient.pk, visit_id=summary.visit_id
        )
    return summaries


def chart_sections_of(user: Any, patient: Any) -> dict[str, Any]:
    """What the chart's care plan, visit notes and summaries sections show."""
    return {
        "plan_glance": chart_plan_of(patient),
        "latest_notes": chart_notes_of(patient),
        "latest_summaries": chart_summaries_of(patient),
        "timeline_url": timeline_url(patient.pk),
        "timeline_visits_url": timeline_url(patient.pk, TimelineKind.VISIT),
        "timeline_summaries_url": timeline_url(patient.pk, TimelineKind.SUMMARY),
    }

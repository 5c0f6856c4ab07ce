"""The chart's compact views of the care plan, the latest visit notes and the summaries sent.

Read for a patient already reached through patient_get_for, together with every other section
of the chart in one query whatever the size of the record, through ``apps.get_model`` so
that patients does not import the apps that import it. The careplans and visits pages hold
the full records; these sections say what is there and link to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Min, Q

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access
from pallio.core.compiled_reads import read_compiled
from pallio.core.read_together import Rows, Total, read_together
from pallio.patients.selectors import patient_chart_context, patient_chart_parts, patient_get_for
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


def chart_section_parts(patient: Any) -> dict[str, Rows]:
    """The reads of the care plan, visit notes and summaries sections."""
    plan_model = apps.get_model("careplans", "CarePlan")
    note_model = apps.get_model("visits", "VisitNote")
    summary_model = apps.get_model("visits", "VisitSummary")
    delivery_model = apps.get_model("visits", "SummaryDelivery")
    live = Q(problems__entered_in_error=False, problems__status="active")
    live_goal = Q(goals__entered_in_error=False, goals__status="active")
    latest = summary_model.objects.filter(patient_id=patient.pk).order_by("-created_at", "-pk")[
        :LATEST_SUMMARIES
    ]
    return {
        "plan": Rows(
            plan_model.objects.filter(patient_id=patient.pk)
            .annotate(
                active_problems=Count("problems", filter=live, distinct=True),
                active_goals=Count("goals", filter=live_goal, distinct=True),
                next_goal_review=Min("goals__review_date", filter=live_goal),
            )
            .order_by(F("episode__end").desc(nulls_first=True), "-created_at")[:1]
        ),
        "notes": Rows(
            note_model.objects.filter(patient_id=patient.pk)
            .select_related("author", "template", "visit", "cosigned_by", "entered_in_error_by")
            # The section names each note: its content and its template's sections stay out.
            .defer("content", "plan_changes", "template__sections", "template__disciplines")
            .order_by("-created_at", "-pk")[:LATEST_NOTES]
        ),
        "summaries": Rows(latest.select_related("visit")),
        "summary_deliveries": Rows(
            delivery_model.objects.filter(summary_id__in=latest.values("pk")).order_by(
                "audience", "pk"
            )
        ),
    }


def _read(patient: Any, *names: str) -> dict[str, Any]:
    parts = chart_section_parts(patient)
    return read_together({name: parts[name] for name in names})


def chart_plan_of(patient: Any, rows: dict[str, Any] | None = None) -> PlanGlance | None:
    """The plan of the patient's current (else latest) episode: how many active problems and
    goals, and when it is next reviewed (the plan's review or the earliest goal review)."""
    rows = rows if rows is not None else _read(patient, "plan")
    plan = next(iter(rows["plan"]), None)
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


def chart_notes_of(patient: Any, rows: dict[str, Any] | None = None) -> list[Any]:
    """The latest visit notes of any status, entered-in-error ones included (shown struck)."""
    rows = rows if rows is not None else _read(patient, "notes")
    notes: list[Any] = rows["notes"]
    for note in notes:
        note.chart_link = url_or_empty("visits:note", note_id=note.pk)
    return notes


def chart_summaries_of(patient: Any, rows: dict[str, Any] | None = None) -> list[Any]:
    """The latest visit summaries, each with its deliveries and their status."""
    rows = rows if rows is not None else _read(patient, "summaries", "summary_deliveries")
    summaries: list[Any] = rows["summaries"]
    deliveries: dict[Any, list[Any]] = {}
    for delivery in rows["summary_deliveries"]:
        deliveries.setdefault(delivery.summary_id, []).append(delivery)
    for summary in summaries:
        summary.delivery_list = deliveries.get(summary.pk, [])
        summary.chart_link = url_or_empty(
            "summaries:detail", patient_id=patient.pk, visit_id=summary.visit_id
        )
    return summaries


def chart_sections_of(patient: Any, rows: dict[str, Any]) -> dict[str, Any]:
    """What the chart's care plan, visit notes and summaries sections show."""
    return {
        "plan_glance": chart_plan_of(patient, rows),
        "latest_notes": chart_notes_of(patient, rows),
        "latest_summaries": chart_summaries_of(patient, rows),
        "timeline_url": timeline_url(patient.pk),
        "timeline_visits_url": timeline_url(patient.pk, TimelineKind.VISIT),
        "timeline_summaries_url": timeline_url(patient.pk, TimelineKind.SUMMARY),
    }


def chart_parts(patient: Any) -> dict[str, Rows | Total]:
    """Every read of the chart, a function of the patient's `pk` and `program_id` alone
    (core.compiled_reads: it is compiled once, then run with each patient's ids)."""
    # Imported here: these apps import patients, not the other way round.
    from pallio.acp.selectors import acp_chart_parts
    from pallio.assessments.selectors import chart_parts as assessment_parts
    from pallio.coordination.selectors import chart_orders_parts
    from pallio.episodes.hospice import hospice_chart_parts
    from pallio.episodes.stay_selectors import stays_chart_parts
    from pallio.episodes.templatetags.episodes import death_record_rows
    from pallio.medications.selectors import medication_chart_parts
    from pallio.referrals.selectors import enrollment_referral_parts

    return {
        **patient_chart_parts(patient),
        **chart_section_parts(patient),
        **enrollment_referral_parts(patient),
        **acp_chart_parts(patient),
        **assessment_parts(patient),
        **medication_chart_parts(patient),
        **chart_orders_parts(patient),
        **hospice_chart_parts(patient),
        **stays_chart_parts(patient),
        "episodes_death": Rows(death_record_rows(patient)[:1]),
    }


def chart_page_for(user: Any, patient_id: Any) -> dict[str, Any]:
    """Everything the chart page shows, for a user who may see the patient (Http404 else):
    the patient's access-checked query, ONE query for every section, and ONE audit row,
    `patient.chart`, naming the referrals the chart shows (the referral section's read).

    Each app says what its section reads (its `*_parts`) and shapes what was read (its
    summary function, which reads for itself when called alone, from another page).
    """
    # Imported here: these apps import patients, not the other way round.
    from pallio.acp.selectors import acp_chart_summary
    from pallio.assessments.selectors import chart_summary as assessment_summary
    from pallio.coordination.selectors import chart_orders_of
    from pallio.episodes.stay_selectors import stays_chart_summary
    from pallio.medications.selectors import medication_chart_summary
    from pallio.referrals.selectors import enrollment_referrals_for

    patient = patient_get_for(user, patient_id, audit=False, reader_facts=True)
    rows = read_compiled("patient.chart", chart_parts, pk=patient.pk, program_id=patient.program_id)
    context = patient_chart_context(user, patient, rows)
    referrals = enrollment_referrals_for(user, patient, rows=rows, audit=False)
    chart_read_record(user, patient, context["access_reason"], referrals)
    return {
        **context,
        **chart_sections_of(patient, rows),
        "enrollment_referrals": referrals,
        # What the sections' template tags show, already read.
        "chart": {
            **rows,
            "acp": acp_chart_summary(patient, rows),
            "assessments": assessment_summary(patient, rows),
            "medications": medication_chart_summary(patient, rows),
            "coordination": chart_orders_of(patient, rows),
            "stays": stays_chart_summary(patient, rows),
        },
    }


def chart_read_record(user: Any, patient: Any, reason: str | None, referrals: list[Any]) -> None:
    """The chart's one audit row: the patient read, the referrals shown with it (what the
    referral section alone records as `referral.chart_read`), and the on-call shift when
    that is why the user may look (as audit_read writes it)."""
    detail: dict[str, Any] = {}
    if getattr(user, "role", "") == access.ROLE_ON_CALL and reason == access.ON_CALL_SHIFT:
        detail.update(access=access.ON_CALL_SHIFT, why="On-call clinician during a shift")
    if referrals:
        detail["referrals"] = [item.referral.reference for item in referrals]
    audit_record(
        actor=user,
        action=Action.READ,
        event="patient.chart",
        patient=patient,
        target=patient,
        detail=detail or None,
    )

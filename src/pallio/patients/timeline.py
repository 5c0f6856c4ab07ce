"""The patient's timeline: everything that happened to the patient in the program, newest
first, as one list in plain words with who did it and a link to the record.

Each kind of event is read from its own table (or, for the care plan, from the history
tables that keep every version), one query per table whatever the number of events. A page
of N events needs at most the newest ``page * N + 1`` rows of each table: a row is ranked by
its newest event inside the date range, and the events of the rows left out are all older
than the ones kept. The merge and the page cut happen here.

Other apps' tables are read through ``apps.get_model`` so that patients never imports an app
that imports it (DESIGN: the arrows point one way). Entered-in-error records stay on the
timeline, struck through and labelled, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.apps import apps
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest

from pallio.core import params
from pallio.patients.selectors import patient_get_for, patient_header_context
from pallio.patients.timeline_base import (
    KIND_LABELS,
    Builder,
    TimelineEvent,
    TimelineKind,
    TimelinePage,
    Window,
    _Context,
    care_plan_url,
    timeline_url,
    url_or_empty,
)
from pallio.patients.timeline_builders import (
    STAY_ARRIVAL,
    _addendum,
    _alert,
    _assessment,
    _code_status,
    _conversation,
    _delivery,
    _describe_goal,
    _describe_intervention,
    _describe_problem,
    _episode,
    _goal_review,
    _hospital_stay,
    _idt_item,
    _later_entered_in_error,
    _note,
    _phase,
    _plan_change,
    _referral,
    _stay_movement,
    _symptom_report,
    _visit,
)

PAGE_SIZE = 50


# --- the query string -----------------------------------------------------------------------


class KindsParam(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        choices = TimelineKind.choices
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "Choose among: " + ", ".join(str(label) for _, label in choices)},
        )
        super().__init__(choices=choices, **kwargs)


class TimelineQuery(params.QueryForm):
    kind = KindsParam(label="Show")
    since = params.DateParam(label="From")
    until = params.DateParam(label="To")
    page = params.PageParam()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the period comes before its start.")
        return cleaned


def timeline_query_parse(query: Any) -> dict[str, Any]:
    """The timeline's filters from a query string (repeated ``kind`` values allowed);
    params.BadQuery (400) naming each value refused. No kind chosen means every kind."""
    data: dict[str, Any] = {name: query.get(name, "") for name in TimelineQuery.base_fields}
    data["kind"] = [v for v in query.getlist("kind") if v] if hasattr(query, "getlist") else []
    form = TimelineQuery(data)
    if not form.is_valid():
        raise params.BadQuery(form.problems())
    cleaned = dict(form.cleaned_data)
    cleaned["kind"] = list(cleaned.get("kind") or [])
    cleaned["page"] = cleaned.get("page") or 1
    return cleaned


@dataclass(frozen=True)
class _Source:
    kind: str
    model: str  # "app_label.ModelName"
    patient_path: str
    # The event times of a row: a field name, or (name, expression) for a conditional time.
    times: tuple[Any, ...]
    build: Builder
    related: tuple[str, ...] = ()
    date_only: bool = False
    annotations: tuple[tuple[str, Callable[[], Any]], ...] = ()

    def rows(self, patient: Any, window: Window, limit: int) -> list[Any]:
        model = apps.get_model(self.model)
        rows = model._default_manager.filter(**{self.patient_path: patient.pk})
        if self.related:
            rows = rows.select_related(*self.related)
        for name, make in self.annotations:
            rows = rows.annotate(**{name: make()})
        output: Any = models.DateField() if self.date_only else models.DateTimeField()
        floor: Any = date(1900, 1, 1) if self.date_only else datetime(1900, 1, 1, tzinfo=UTC)
        conditions = []
        any_in_window = Q()
        for n, spec in enumerate(self.times):
            alias = f"timeline_at_{n}"
            at: Any = F(spec) if isinstance(spec, str) else spec[1]
            rows = rows.annotate(**{alias: at})
            condition = window.q(alias, self.date_only)
            conditions.append((alias, condition))
            any_in_window |= condition
        rows = rows.filter(any_in_window)
        if len(conditions) == 1:
            rank: Any = F(conditions[0][0])
        else:
            # The row's newest event inside the window ranks it.
            rank = Greatest(
                *(
                    Case(When(condition, then=F(alias)), default=Value(floor), output_field=output)
                    for alias, condition in conditions
                ),
                output_field=output,
            )
        return list(
            rows.annotate(timeline_rank=rank).order_by(F("timeline_rank").desc(), "pk")[:limit]
        )


_FAILED_AT = Case(When(status="failed", then=F("updated_at")), output_field=models.DateTimeField())
_QUEUED_AT = Case(When(status="queued", then=F("created_at")), output_field=models.DateTimeField())
_SENT_AT = Case(When(status="sent", then=F("sent_at")), output_field=models.DateTimeField())
_EIE_AT = Case(
    When(entered_in_error=True, then=F("entered_in_error_at")), output_field=models.DateTimeField()
)

SOURCES: tuple[_Source, ...] = (
    _Source(
        TimelineKind.REFERRAL,
        "referrals.Referral",
        "patient",
        ("received_at", "decided_at"),
        _referral,
        ("decided_by",),
    ),
    _Source(
        TimelineKind.ENROLLMENT, "episodes.EpisodeOfCare", "patient", ("start", "end"), _episode
    ),
    _Source(
        TimelineKind.ASSESSMENT,
        "assessments.SymptomReport",
        "patient",
        ("answered_at",),
        _symptom_report,
        ("instrument", "entered_by"),
    ),
    _Source(
        TimelineKind.ASSESSMENT,
        "assessments.Assessment",
        "patient",
        ("signed_at",),
        _assessment,
        ("signed_by",),
    ),
    _Source(
        TimelineKind.ASSESSMENT,
        "assessments.PhaseOfCare",
        "patient",
        ("recorded_at",),
        _phase,
        ("recorded_by",),
    ),
    _Source(
        TimelineKind.CONVERSATION,
        "acp.GoalsOfCareConversation",
        "patient",
        ("signed_at", ("eie", _EIE_AT)),
        _conversation,
        ("signed_by", "entered_in_error_by"),
    ),
    _Source(
        TimelineKind.CONVERSATION,
        "acp.CodeStatus",
        "patient",
        ("created_at", ("eie", _EIE_AT)),
        _code_status,
        ("recorded_by", "replaces", "entered_in_error_by"),
    ),
    _Source(
        TimelineKind.VISIT,
        "visits.Visit",
        "patient",
        ("started_at", ("eie", _EIE_AT)),
        _visit,
        ("clinician", "entered_in_error_by"),
    ),
    _Source(
        TimelineKind.VISIT,
        "visits.VisitNote",
        "patient",
        ("signed_at", "cosigned_at", ("eie", _EIE_AT)),
        _note,
        ("template", "visit", "author", "signed_by", "cosigned_by", "entered_in_error_by"),
    ),
    _Source(
        TimelineKind.VISIT,
        "visits.NoteAddendum",
        "note__patient",
        ("created_at",),
        _addendum,
        ("note__template", "author"),
    ),
    _Source(
        TimelineKind.SUMMARY,
        "visits.SummaryDelivery",
        "summary__patient",
        (("sent", _SENT_AT), ("failed", _FAILED_AT), ("queued", _QUEUED_AT)),
        _delivery,
        ("summary__visit",),
    ),
    _Source(
        TimelineKind.ALERT,
        "assessments.Alert",
        "patient",
        ("raised_at", "resolved_at"),
        _alert,
        ("resolved_by",),
    ),
    _Source(
        TimelineKind.PLAN,
        "careplans.HistoricalProblem",
        "plan__patient",
        ("history_date",),
        _plan_change("Problem", _describe_problem),
        ("updated_by", "history_user"),
        annotations=(("now_entered_in_error", _later_entered_in_error("careplans.Problem")),),
    ),
    _Source(
        TimelineKind.PLAN,
        "careplans.HistoricalGoal",
        "plan__patient",
        ("history_date",),
        _plan_change("Goal", _describe_goal),
        ("updated_by", "history_user"),
        annotations=(("now_entered_in_error", _later_entered_in_error("careplans.Goal")),),
    ),
    _Source(
        TimelineKind.PLAN,
        "careplans.HistoricalIntervention",
        "plan__patient",
        ("history_date",),
        _plan_change("Intervention", _describe_intervention),
        ("updated_by", "history_user"),
        annotations=(("now_entered_in_error", _later_entered_in_error("careplans.Intervention")),),
    ),
    _Source(
        TimelineKind.PLAN,
        "careplans.GoalReview",
        "goal__plan__patient",
        ("reviewed_at",),
        _goal_review,
        ("goal", "reviewed_by"),
    ),
    _Source(
        TimelineKind.HOSPITAL,
        "episodes.HospitalStay",
        "patient",
        ("admitted_at", "discharged_at"),
        _hospital_stay,
        ("recorded_by", "entered_in_error_by"),
    ),
    _Source(
        TimelineKind.HOSPITAL,
        "episodes.StayMovement",
        "stay__patient",
        # A move, not the arrival: the first unit of a stay starts with the admission.
        (
            (
                "started_at",
                Case(
                    When(started_at=F("stay__admitted_at"), then=Value(None)),
                    default=F("started_at"),
                    output_field=models.DateTimeField(),
                ),
            ),
        ),
        _stay_movement,
        ("stay", "recorded_by"),
    ),
    _Source(
        TimelineKind.IDT,
        "careplans.IdtAgendaItem",
        "patient",
        ("discussed_at",),
        _idt_item,
        ("meeting__team", "discussed_by"),
    ),
)

_KIND_ORDER = {kind: n for n, kind in enumerate(TimelineKind.values)}


def timeline_events(
    user: Any,
    patient: Any,
    *,
    kinds: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> TimelinePage:
    """One page of the events of a patient already reached through patient_get_for, newest
    first; one query per table of the kinds asked for (every kind when none is named)."""
    page_size = page_size or PAGE_SIZE
    chosen = [k for k in TimelineKind.values if not kinds or k in kinds]
    tz = ZoneInfo(patient.program.timezone)
    window = Window(since, until, tz)
    ctx = _Context(user=user, patient=patient, tz=tz, may={})
    limit = page * page_size + 1
    events: list[TimelineEvent] = []
    read: list[str] = []
    for source in SOURCES:
        if source.kind not in chosen:
            continue
        read.append(source.model)
        for row in source.rows(patient, window, limit):
            events.extend(e for e in source.build(row, ctx) if e.at and window.contains(e))
    events.sort(key=lambda e: (e.at, -_KIND_ORDER[e.kind]), reverse=True)
    start = (page - 1) * page_size
    return TimelinePage(
        events=events[start : start + page_size],
        number=page,
        has_next=len(events) > page * page_size,
        kinds=list(kinds or []),
        since=since,
        until=until,
        tables_read=read,
    )


def timeline_page_for(user: Any, patient_id: Any, filters: dict[str, Any]) -> dict[str, Any]:
    """The timeline page of a patient the user may see (Http404 otherwise), audited as one
    read of the patient's timeline."""
    patient = patient_get_for(user, patient_id, event="patient.timeline")
    timeline = timeline_events(
        user,
        patient,
        kinds=filters.get("kind") or None,
        since=filters.get("since"),
        until=filters.get("until"),
        page=filters.get("page") or 1,
    )
    return {**patient_header_context(user, patient), "timeline": timeline}


__all__ = [
    "KIND_LABELS",
    "PAGE_SIZE",
    "SOURCES",
    "STAY_ARRIVAL",
    "Builder",
    "KindsParam",
    "TimelineEvent",
    "TimelineKind",
    "TimelinePage",
    "TimelineQuery",
    "Window",
    "care_plan_url",
    "timeline_events",
    "timeline_page_for",
    "timeline_query_parse",
    "timeline_url",
    "url_or_empty",
]

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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.apps import apps
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Greatest
from django.urls import NoReverseMatch, reverse

from pallio.core import access, params
from pallio.patients.selectors import patient_get_for, patient_header_context

PAGE_SIZE = 50


class TimelineKind(models.TextChoices):
    """The filters of the timeline page, in the order a patient's story usually runs."""

    REFERRAL = "referral", "Referral"
    ENROLLMENT = "enrollment", "Enrollment and discharge"
    ASSESSMENT = "assessment", "Assessments and symptom reports"
    CONVERSATION = "conversation", "Goals of care and code status"
    VISIT = "visit", "Visits and notes"
    SUMMARY = "summary", "Visit summaries"
    ALERT = "alert", "Alerts"
    PLAN = "plan", "Care plan changes"
    HOSPITAL = "hospital", "Hospital stays"
    IDT = "idt", "Team meeting discussions"


KIND_LABELS = dict(TimelineKind.choices)


@dataclass
class TimelineEvent:
    kind: str
    at: datetime
    title: str
    detail: str = ""
    who: str = ""
    link: str = ""
    # The record (or the record the event is about) was marked entered in error.
    entered_in_error: bool = False
    error_note: str = ""
    # Hospital stays are known by the day only: shown without a time of day.
    date_only: bool = False

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class TimelinePage:
    events: list[TimelineEvent]
    number: int
    has_next: bool
    kinds: list[str]
    since: date | None
    until: date | None
    tables_read: list[str] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


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


# --- links ----------------------------------------------------------------------------------


def url_or_empty(name: str, **kwargs: Any) -> str:
    """The address of a page that another app may not have mounted yet; "" when it has not."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def timeline_url(patient_id: Any, *kinds: str) -> str:
    url = reverse("patients:timeline", kwargs={"patient_id": patient_id})
    return url + ("?" + "&".join(f"kind={k}" for k in kinds) if kinds else "")


def care_plan_url(patient_id: Any) -> str:
    """The patient's care plan page (careplans, mounted at /plans/), or the timeline of plan
    changes until that page exists."""
    return url_or_empty("careplans:plan", patient_id=patient_id) or timeline_url(
        patient_id, TimelineKind.PLAN
    )


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The date range asked for, in the program's days."""

    since: date | None
    until: date | None
    tz: ZoneInfo

    def _bounds(self, date_only: bool) -> tuple[Any, Any]:
        low = high = None
        if self.since:
            low = self.since if date_only else _local_start(self.since, self.tz)
        if self.until:
            end = self.until + timedelta(days=1)
            high = end if date_only else _local_start(end, self.tz)
        return low, high

    def q(self, name: str, date_only: bool) -> Q:
        low, high = self._bounds(date_only)
        condition = Q(**{f"{name}__isnull": False})
        if low is not None:
            condition &= Q(**{f"{name}__gte": low})
        if high is not None:
            condition &= Q(**{f"{name}__lt": high})
        return condition

    def contains(self, event: TimelineEvent) -> bool:
        low, high = self._bounds(False)
        return (low is None or event.at >= low) and (high is None or event.at < high)


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


@dataclass
class _Context:
    user: Any
    patient: Any
    tz: ZoneInfo
    may: dict[str, bool]

    def allowed(self, perm: str) -> bool:
        if perm not in self.may:
            # A page another app is still adding may name a permission not declared yet:
            # its own view decides then; the link is only a way there.
            known = perm in access.PERMISSIONS
            self.may[perm] = access.has_perm(self.user, perm) if known else True
        return self.may[perm]

    def link(self, perm: str, name: str, **kwargs: Any) -> str:
        return url_or_empty(name, **kwargs) if self.allowed(perm) else ""

    def first_link(self, *candidates: tuple[str, str, dict[str, Any]], fallback: str = "") -> str:
        """The first of the pages (permission, url name, arguments) the user may open and
        that is mounted; `fallback` when none is."""
        for perm, name, kwargs in candidates:
            url = self.link(perm, name, **kwargs)
            if url:
                return url
        return fallback


Builder = Callable[[Any, _Context], Iterator[TimelineEvent]]


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


def _who(user: Any) -> str:
    return user.display_name if user is not None else ""


def _score(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _error_note(row: Any) -> str:
    by = getattr(row, "entered_in_error_by", None)
    reason = getattr(row, "entered_in_error_reason", "")
    note = "Entered in error"
    if by is not None:
        note += f" by {by.display_name}"
    return note + (f": {reason}" if reason else "")


# Each builder yields every event of a row; events outside the window are dropped after.


def _referral(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    link = ctx.link("referral.view", "referrals:detail", referral_id=row.pk)
    sender = row.referrer_name or row.referrer_organization
    reasons = ", ".join(row.get_reasons_display())
    yield TimelineEvent(
        TimelineKind.REFERRAL,
        row.received_at,
        f"Referral received ({row.get_source_display().lower()})",
        detail="; ".join(p for p in (row.diagnosis_display, reasons) if p),
        who=sender,
        link=link,
    )
    if row.decided_at:
        outcome = row.get_status_display()
        detail = row.get_decision_reason_display() if row.decision_reason else ""
        if row.redirected_to:
            detail = f"To {row.redirected_to}"
        yield TimelineEvent(
            TimelineKind.REFERRAL,
            row.decided_at,
            f"Referral decided: {outcome.lower()}",
            detail=detail,
            who=_who(row.decided_by),
            link=link,
        )


def _episode(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    link = url_or_empty("patients:chart", patient_id=ctx.patient.pk)
    yield TimelineEvent(
        TimelineKind.ENROLLMENT,
        row.start,
        "Enrolled in the program",
        detail=f"First visit due {row.first_visit_due:%-d %b %Y}",
        link=link,
    )
    if row.end:
        yield TimelineEvent(
            TimelineKind.ENROLLMENT,
            row.end,
            "Enrollment ended",
            detail=row.get_status_display(),
            link=link,
        )


def _symptom_report(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    score = _score(row.primary_score)
    parts = [f"Main score {score}" if score else "", row.get_respondent_display()]
    parts.append(row.get_channel_display().lower())
    if row.partial:
        parts.append("answered in part")
    yield TimelineEvent(
        TimelineKind.ASSESSMENT,
        row.answered_at,
        f"{row.instrument.title} recorded",
        detail=" · ".join(p for p in parts if p),
        who=_who(row.entered_by) or row.respondent_name,
        link=ctx.link("assessment.view", "assessments:trends", patient_id=ctx.patient.pk),
        entered_in_error=row.entered_in_error,
        error_note="Entered in error" if row.entered_in_error else "",
    )


def _assessment(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    yield TimelineEvent(
        TimelineKind.ASSESSMENT,
        row.signed_at,
        "Comprehensive assessment signed",
        who=_who(row.signed_by),
        link=ctx.link("assessment.view", "assessments:assessment", patient_id=ctx.patient.pk),
    )


def _phase(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    yield TimelineEvent(
        TimelineKind.ASSESSMENT,
        row.recorded_at,
        f"Phase of care: {row.get_phase_display().lower()}",
        detail=row.note,
        who=_who(row.recorded_by),
        link=ctx.link("assessment.view", "assessments:trends", patient_id=ctx.patient.pk),
    )


def _conversation(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    link = ctx.link(
        "acp.view", "acp:conversation", patient_id=ctx.patient.pk, conversation_id=row.pk
    )
    if row.signed_at:
        yield TimelineEvent(
            TimelineKind.CONVERSATION,
            row.signed_at,
            "Goals-of-care conversation signed",
            detail=f"Held {row.held_at.astimezone(ctx.tz):%-d %b %Y}; overall focus: "
            f"{row.get_goal_focus_display()}",
            who=_who(row.signed_by),
            link=link,
            entered_in_error=row.entered_in_error,
            error_note=_error_note(row) if row.entered_in_error else "",
        )
    if row.entered_in_error and row.entered_in_error_at:
        yield TimelineEvent(
            TimelineKind.CONVERSATION,
            row.entered_in_error_at,
            "Goals-of-care conversation marked entered in error",
            detail=row.entered_in_error_reason,
            who=_who(row.entered_in_error_by),
            link=link,
        )


def _code_status(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    link = ctx.link("acp.view", "acp:patient", patient_id=ctx.patient.pk)
    status = row.get_status_display()
    title = (
        f"Code status changed to {status} (was {row.replaces.get_status_display()})"
        if row.replaces is not None
        else f"Code status recorded: {status}"
    )
    detail = f"Effective {row.effective_date:%-d %b %Y}" + (f"; {row.note}" if row.note else "")
    yield TimelineEvent(
        TimelineKind.CONVERSATION,
        row.created_at,
        title,
        detail=detail,
        who=_who(row.recorded_by),
        link=link,
        entered_in_error=row.entered_in_error,
        error_note=_error_note(row) if row.entered_in_error else "",
    )
    if row.entered_in_error and row.entered_in_error_at:
        yield TimelineEvent(
            TimelineKind.CONVERSATION,
            row.entered_in_error_at,
            f"Code status {status} marked entered in error",
            detail=row.entered_in_error_reason,
            who=_who(row.entered_in_error_by),
            link=link,
        )


# Until the visits, summaries, care plan and team meeting pages are mounted, their events
# link to the timeline of their kind (or to nothing).


def _visit_link(ctx: _Context) -> str:
    return ctx.first_link(
        ("visit.view", "visits:patient", {"patient_id": ctx.patient.pk}),
        fallback=timeline_url(ctx.patient.pk, TimelineKind.VISIT),
    )


def _note_link(ctx: _Context, note_id: Any) -> str:
    return ctx.first_link(
        ("visit.view", "visits:note", {"note_id": note_id}),
        fallback=timeline_url(ctx.patient.pk, TimelineKind.VISIT),
    )


def _summary_link(ctx: _Context, visit_id: Any) -> str:
    return ctx.first_link(
        ("caseload.view", "summaries:detail", {"patient_id": ctx.patient.pk, "visit_id": visit_id}),
        fallback=timeline_url(ctx.patient.pk, TimelineKind.SUMMARY),
    )


def _plan_history_link(ctx: _Context) -> str:
    return ctx.first_link(
        ("care_plan.view", "careplans:history", {"patient_id": ctx.patient.pk}),
        ("care_plan.view", "careplans:plan", {"patient_id": ctx.patient.pk}),
        fallback=timeline_url(ctx.patient.pk, TimelineKind.PLAN),
    )


def _visit(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    yield TimelineEvent(
        TimelineKind.VISIT,
        row.started_at,
        f"Visit: {row.get_discipline_display()}, {row.get_setting_display().lower()}, "
        f"{row.get_mode_display().lower()}",
        detail=row.reason,
        who=_who(row.clinician),
        link=_visit_link(ctx),
        entered_in_error=row.entered_in_error,
        error_note=_error_note(row) if row.entered_in_error else "",
    )
    if row.entered_in_error and row.entered_in_error_at:
        yield TimelineEvent(
            TimelineKind.VISIT,
            row.entered_in_error_at,
            "Visit marked entered in error",
            detail=row.entered_in_error_reason,
            who=_who(row.entered_in_error_by),
            link=_visit_link(ctx),
        )


def _note(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    link = _note_link(ctx, row.pk)
    name = row.template.title
    struck = {
        "entered_in_error": row.entered_in_error,
        "error_note": _error_note(row) if row.entered_in_error else "",
    }
    if row.signed_at:
        awaiting = row.status == "awaiting_cosign"
        yield TimelineEvent(
            TimelineKind.VISIT,
            row.signed_at,
            f"Visit note signed: {name}" + (" (awaiting co-signature)" if awaiting else ""),
            detail=f"Visit of {row.visit.started_at.astimezone(ctx.tz):%-d %b %Y}",
            who=_who(row.signed_by or row.author),
            link=link,
            **struck,
        )
    if row.cosigned_at:
        yield TimelineEvent(
            TimelineKind.VISIT,
            row.cosigned_at,
            f"Visit note co-signed: {name}",
            detail=f"Written by {_who(row.author)}",
            who=_who(row.cosigned_by),
            link=link,
            **struck,
        )
    if row.entered_in_error and row.entered_in_error_at:
        yield TimelineEvent(
            TimelineKind.VISIT,
            row.entered_in_error_at,
            f"Visit note marked entered in error: {name}",
            detail=row.entered_in_error_reason,
            who=_who(row.entered_in_error_by),
            link=link,
        )


def _addendum(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    note = row.note
    yield TimelineEvent(
        TimelineKind.VISIT,
        row.created_at,
        f"Addendum to a visit note: {note.template.title}",
        detail=row.reason,
        who=_who(row.author),
        link=_note_link(ctx, note.pk),
        entered_in_error=note.entered_in_error,
        error_note="The note was entered in error" if note.entered_in_error else "",
    )


def _delivery(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    audience = row.get_audience_display()
    recipient = row.recipient_name or row.to_email
    visit = row.summary.visit
    visit_day = f"Visit of {visit.started_at.astimezone(ctx.tz):%-d %b %Y}"
    link = _summary_link(ctx, visit.pk)
    to = f"{audience}" + (f" ({recipient})" if recipient else "")
    if row.status == "sent" and row.sent_at:
        yield TimelineEvent(
            TimelineKind.SUMMARY, row.sent_at, f"Visit summary sent to {to}", visit_day, link=link
        )
    elif row.status == "failed":
        reason = f"; {row.last_error}" if row.last_error else ""
        yield TimelineEvent(
            TimelineKind.SUMMARY,
            row.updated_at,
            f"Visit summary to {to} could not be sent",
            f"{visit_day}{reason} (tried {row.attempts} times)",
            link=link,
        )
    elif row.status == "queued":
        yield TimelineEvent(
            TimelineKind.SUMMARY,
            row.created_at,
            f"Visit summary to {to} waiting to be sent",
            visit_day,
            link=link,
        )


def _alert(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    link = ctx.link("alert.worklist", "assessments:worklist")
    yield TimelineEvent(
        TimelineKind.ALERT,
        row.raised_at,
        f"Alert raised: {row.title}",
        detail=f"For the {row.get_discipline_display().lower()}",
        who="Raised by Pallio",
        link=link,
    )
    if row.resolved_at:
        yield TimelineEvent(
            TimelineKind.ALERT,
            row.resolved_at,
            f"Alert resolved: {row.title}",
            detail=row.action_taken,
            who=_who(row.resolved_by),
            link=link,
        )


_CHANGE_VERBS = {"+": "added", "~": "changed", "-": "removed"}


def _plan_change(label: str, describe: Callable[[Any], tuple[str, str]]) -> Builder:
    def build(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
        verb = _CHANGE_VERBS.get(row.history_type, "changed")
        name, detail = describe(row)
        if row.entered_in_error:
            title = f"{label} marked entered in error: {name}"
            detail = row.entered_in_error_reason
        else:
            title = f"{label} {verb}: {name}"
        # Every version of an item later marked entered in error is struck through; the
        # version that marked it is the record of that marking, so it stays plain.
        struck = bool(row.now_entered_in_error) and not row.entered_in_error
        yield TimelineEvent(
            TimelineKind.PLAN,
            row.history_date,
            title,
            detail=detail,
            who=_who(row.history_user or row.updated_by),
            link=_plan_history_link(ctx),
            entered_in_error=struck,
            error_note="This entry was later marked entered in error" if struck else "",
        )

    return build


def _describe_problem(row: Any) -> tuple[str, str]:
    return row.display, f"{row.get_domain_display()} · {row.get_status_display()}"


def _describe_goal(row: Any) -> tuple[str, str]:
    parts = [f"In the patient's words: {row.patient_words}"]
    parts.append(f"review by {row.review_date:%-d %b %Y}")
    parts.append(row.get_status_display())
    return row.target, " · ".join(parts)


def _describe_intervention(row: Any) -> tuple[str, str]:
    return row.description, f"{row.get_discipline_display()} · {row.get_status_display()}"


def _goal_review(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    goal = row.goal
    yield TimelineEvent(
        TimelineKind.PLAN,
        row.reviewed_at,
        f"Goal reviewed: {row.get_outcome_display().lower()}",
        detail=goal.target + (f" · {row.comment}" if row.comment else ""),
        who=_who(row.reviewed_by),
        link=_plan_history_link(ctx),
        entered_in_error=goal.entered_in_error,
        error_note="The goal was entered in error" if goal.entered_in_error else "",
    )


STAY_ARRIVAL = {
    "emergency": "Seen in the emergency department",
    "inpatient": "Admitted to hospital",
    "observation": "Kept in hospital for observation",
}


def _stay_link(ctx: _Context, stay: Any) -> str:
    return ctx.link("stay.view", "stays:stay", patient_id=ctx.patient.pk, stay_id=stay.pk)


def _hospital_stay(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    struck = {
        "entered_in_error": row.entered_in_error,
        "error_note": _error_note(row) if row.entered_in_error else "",
        "link": _stay_link(ctx, row),
        "who": row.informant or _who(row.recorded_by) or row.get_source_display(),
    }
    flags = []
    if row.is_readmission:
        flags.append("readmission within 30 days")
    if row.icu:
        flags.append("intensive care")
    detail = " · ".join(part for part in (row.unit, row.reason) if part)
    yield TimelineEvent(
        TimelineKind.HOSPITAL,
        row.admitted_at,
        f"{STAY_ARRIVAL.get(row.kind, 'Hospital stay')}: {row.facility}"
        + (f" ({', '.join(flags)})" if flags else ""),
        detail=detail,
        **struck,
    )
    if row.discharged_at:
        yield TimelineEvent(
            TimelineKind.HOSPITAL,
            row.discharged_at,
            f"Left hospital: {row.facility}",
            detail=row.get_disposition_display(),
            **struck,
        )


def _stay_movement(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    stay = row.stay
    yield TimelineEvent(
        TimelineKind.HOSPITAL,
        row.started_at,
        f"Moved to {'intensive care' if row.is_icu else 'another unit'}: {stay.facility}",
        detail=row.unit,
        who=_who(row.recorded_by) or stay.get_source_display(),
        link=_stay_link(ctx, stay),
        entered_in_error=stay.entered_in_error,
        error_note="The stay was entered in error" if stay.entered_in_error else "",
    )


def _idt_item(row: Any, ctx: _Context) -> Iterator[TimelineEvent]:
    meeting = row.meeting
    link = ctx.link("idt.view", "idt:meeting", meeting_id=meeting.pk)
    discussion = row.discussion
    if len(discussion) > 300:
        discussion = discussion[:299].rstrip() + "…"
    yield TimelineEvent(
        TimelineKind.IDT,
        row.discussed_at,
        f"Discussed at the team meeting: {meeting.team.name}",
        detail=discussion,
        who=_who(row.discussed_by),
        link=link,
    )


def _later_entered_in_error(model: str) -> Callable[[], Any]:
    def expression() -> Any:
        live = apps.get_model(model)
        return Exists(live._default_manager.filter(pk=OuterRef("id"), entered_in_error=True))

    return expression


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

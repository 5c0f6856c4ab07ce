"""The timeline's builders: one per kind of record, each turning the rows read from its source
into timeline events (what happened, when, by whom, and a link to the record)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.apps import apps
from django.db.models import Exists, OuterRef

from pallio.patients.timeline_base import (
    Builder,
    TimelineEvent,
    TimelineKind,
    _Context,
    _error_note,
    _score,
    _who,
    timeline_url,
    url_or_empty,
)

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

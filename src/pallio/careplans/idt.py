"""Every write of the weekly interdisciplinary team (IDT) meeting.

The agenda is built from the record (careplans/agenda.py) and can be rebuilt until the
meeting starts, keeping what was already written. During the meeting the team records who
attended, a discussion note per patient (two people typing into the same item: the second is
told of the conflict, never overwrites), and decisions that become a task, a new intervention
or goal on the patient's care plan, or a noted decision, each in one step. The minutes (a
generated summary, editable) are signed by someone allowed to sign them; after that the
meeting and its items cannot change.

Keyword-only, atomic, audited in the same transaction, and checked against the clinical
privileges first (idt.run, idt.sign), the same for pages, API and the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.agenda import agenda_candidates, agenda_since, reason_label
from pallio.careplans.idt_selectors import team_reachable
from pallio.careplans.models import (
    MINUTES_LIMIT,
    IdtAgendaItem,
    IdtAttendance,
    IdtDecision,
    IdtMeeting,
    IdtTeam,
    TaskKind,
)
from pallio.careplans.services import (
    care_plan_for_episode,
    goal_add,
    intervention_add,
    task_create,
)
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.core.models import ConflictError, versioned_save
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.core.words import day_text

SIGNED_MESSAGE = "The minutes of this meeting are signed; the meeting can no longer change."


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _reach(actor: Any, meeting: IdtMeeting) -> None:
    """Someone who does not reach the team gets the same answer as for a missing meeting."""
    if not team_reachable(actor, meeting.team):
        raise Http404("No such meeting")


def _open(meeting: IdtMeeting) -> IdtMeeting:
    """The meeting read again under a row lock, refused once its minutes are signed: a
    crafted or late request changes nothing after signing."""
    current = IdtMeeting.objects.select_for_update().get(pk=meeting.pk)
    if current.status == IdtMeeting.Status.SIGNED:
        raise ValidationError(SIGNED_MESSAGE)
    meeting.status = current.status
    return current


def _check_version(meeting: IdtMeeting, expected_version: int | None, current: IdtMeeting) -> None:
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(
            "This meeting was changed by someone else while you were editing. "
            "Reload to see their change, then make yours again."
        )


# --- the team --------------------------------------------------------------------------------


@transaction.atomic
def idt_team_create(
    *,
    actor: Any,
    program: Any,
    name: str,
    members: Sequence[Any],
    weekday: int = 2,
    at: time = time(13, 0),
) -> IdtTeam:
    """A team of the program's staff that meets weekly on `weekday` (0 Monday) at `at`."""
    privilege_check(actor, "idt.run")
    errors: Errors = {}
    check_text(errors, "name", name, 120, required=True)
    if not 0 <= weekday <= 6:
        errors.setdefault("weekday", []).append("Choose a day of the week.")
    if actor.program_id != program.pk:
        errors.setdefault("name", []).append("Create teams in your own program.")
    if any(m.program_id != program.pk for m in members):
        errors.setdefault("members", []).append("Choose members of this program's staff.")
    if IdtTeam.objects.filter(program=program, name__iexact=name.strip()).exists():
        errors.setdefault("name", []).append("A team of this program already has this name.")
    _raise(errors)
    team = IdtTeam.objects.create(program=program, name=name.strip(), weekday=weekday, time=at)
    team.members.set(members)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="idt.team.create",
        program=program,
        target=team,
        detail={"members": [str(m.pk) for m in members]},
    )
    return team


def next_meeting_time(team: IdtTeam, *, after: datetime | None = None) -> datetime:
    """The team's next usual meeting (its weekday and local time) from now or `after`."""
    zone = ZoneInfo(team.program.timezone)
    moment = (after or clock.now()).astimezone(zone)
    at = team.time if isinstance(team.time, time) else time.fromisoformat(str(team.time))
    day = moment.date() + timedelta(days=(team.weekday - moment.weekday()) % 7)
    when = datetime.combine(day, at, tzinfo=zone)
    if when <= moment:
        when += timedelta(days=7)
    return when


# --- the meeting and its agenda --------------------------------------------------------------


@transaction.atomic
def idt_meeting_create(*, actor: Any, team: IdtTeam, scheduled_for: datetime) -> IdtMeeting:
    """Plan a meeting of the team and build its agenda from the record."""
    privilege_check(actor, "idt.run")
    if not team_reachable(actor, team):
        raise Http404("No such team")
    if IdtMeeting.objects.filter(team=team, scheduled_for=scheduled_for).exists():
        raise ValidationError({"scheduled_for": ["This team already has a meeting at that time."]})
    meeting = IdtMeeting.objects.create(
        program_id=team.program_id, team=team, scheduled_for=scheduled_for
    )
    meeting.team = team
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="idt.meeting.create",
        program=team.program,
        target=meeting,
    )
    idt_agenda_build(actor=actor, meeting=meeting)
    return meeting


@transaction.atomic
def idt_agenda_build(
    *, actor: Any, meeting: IdtMeeting, expected_version: int | None = None
) -> IdtMeeting:
    """Build (or rebuild) the agenda from the record. Only before the meeting starts; an
    item where someone already wrote a note or took a decision stays, with its note."""
    privilege_check(actor, "idt.run")
    _reach(actor, meeting)
    current = _open(meeting)
    _check_version(meeting, expected_version, current)
    if current.status != IdtMeeting.Status.PLANNED:
        raise ValidationError("The meeting has started: its agenda is no longer rebuilt.")
    since = agenda_since(meeting)
    found = agenda_candidates(meeting, since=since)
    existing = {
        item.patient_id: item
        for item in IdtAgendaItem.objects.filter(meeting=meeting).prefetch_related("decisions")
    }
    keep: list[IdtAgendaItem] = []
    new: list[IdtAgendaItem] = []
    position = 0
    for candidate in found:
        position += 1
        item = existing.pop(candidate.patient.pk, None)
        if item is None:
            new.append(
                IdtAgendaItem(
                    meeting=meeting,
                    patient=candidate.patient,
                    episode=candidate.episode,
                    reasons=candidate.reasons,
                    position=position,
                )
            )
        else:
            item.reasons, item.position, item.episode = (
                candidate.reasons,
                position,
                candidate.episode,
            )
            keep.append(item)
    # Patients no longer calling for discussion leave the agenda, unless something was
    # already written about them: the note stays, at the end.
    stale = []
    for item in existing.values():
        if item.discussion.strip() or item.decisions.all():
            position += 1
            item.position, item.reasons = position, []
            keep.append(item)
        else:
            stale.append(item.pk)
    if stale:
        IdtAgendaItem.objects.filter(pk__in=stale).delete()
    if keep:
        IdtAgendaItem.objects.bulk_update(keep, ["reasons", "position", "episode"])
    if new:
        IdtAgendaItem.objects.bulk_create(new)
    now = clock.now()
    current.agenda_built_at, current.agenda_since = now, since
    versioned_save(current, current.version, ["agenda_built_at", "agenda_since"])
    meeting.agenda_built_at, meeting.agenda_since, meeting.version = now, since, current.version
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="idt.agenda.build",
        program=meeting.program,
        target=meeting,
        detail={
            "patients": [str(c.patient.pk) for c in found],
            "kept_with_notes": [str(i.patient_id) for i in keep if i.pk and not _listed(i, found)],
        },
    )
    return meeting


def _listed(item: IdtAgendaItem, found: Sequence[Any]) -> bool:
    return any(c.patient.pk == item.patient_id for c in found)


@transaction.atomic
def idt_meeting_start(*, actor: Any, meeting: IdtMeeting, expected_version: int | None) -> None:
    privilege_check(actor, "idt.run")
    _reach(actor, meeting)
    current = _open(meeting)
    if current.status != IdtMeeting.Status.PLANNED:
        raise ValidationError("The meeting has already started.")
    current.status = IdtMeeting.Status.IN_PROGRESS
    versioned_save(current, expected_version, ["status"])
    meeting.status, meeting.version = current.status, current.version
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="idt.meeting.start",
        program=meeting.program,
        target=meeting,
    )


@transaction.atomic
def idt_attendance_set(
    *, actor: Any, meeting: IdtMeeting, present: Sequence[Any], expected_version: int | None
) -> list[IdtAttendance]:
    """Who attended, each with their discipline: the team's members present and anyone else
    of the program's staff who joined. Replaces the list taken so far (until signing)."""
    privilege_check(actor, "idt.run")
    _reach(actor, meeting)
    current = _open(meeting)
    if any(user.program_id != meeting.program_id for user in present):
        raise ValidationError({"present": ["Choose people of this program's staff."]})
    wanted = {user.pk: user for user in present}
    rows = list(IdtAttendance.objects.filter(meeting=meeting))
    gone = [row.pk for row in rows if row.user_id not in wanted]
    if gone:
        IdtAttendance.objects.filter(pk__in=gone).delete()
    there = {row.user_id for row in rows}
    IdtAttendance.objects.bulk_create(
        [
            IdtAttendance(meeting=meeting, user=user, discipline=user.discipline)
            for pk, user in wanted.items()
            if pk not in there
        ]
    )
    # The attendance changes the meeting's record: its version moves, so a second person
    # taking attendance from a stale page is told.
    versioned_save(current, expected_version, [])
    meeting.version = current.version
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="idt.attendance.set",
        program=meeting.program,
        target=meeting,
        detail={"present": [str(pk) for pk in wanted]},
    )
    return list(IdtAttendance.objects.filter(meeting=meeting).select_related("user"))


# --- the items -------------------------------------------------------------------------------


def _item_open(actor: Any, item: IdtAgendaItem) -> IdtMeeting:
    privilege_check(actor, "idt.run")
    meeting = item.meeting
    _reach(actor, meeting)
    if not access.can_access_patient(actor, item.patient):
        raise Http404("No such agenda item")
    return _open(meeting)


@transaction.atomic
def idt_item_discuss(
    *,
    actor: Any,
    item: IdtAgendaItem,
    discussion: str,
    discussed: bool,
    expected_version: int | None,
) -> IdtAgendaItem:
    """Save the discussion note of a patient's item and, with `discussed`, mark the patient
    discussed (who and when). A note typed over someone else's newer one is refused."""
    _item_open(actor, item)
    errors: Errors = {}
    check_text(errors, "discussion", discussion, 5000)
    _raise(errors)
    item.discussion = discussion.strip()
    fields = ["discussion"]
    if discussed and item.discussed_at is None:
        item.discussed_at, item.discussed_by = clock.now(), actor
        fields += ["discussed_at", "discussed_by"]
    versioned_save(item, expected_version, fields)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="idt.item.discuss",
        patient=item.patient,
        target=item,
        detail={"discussed": item.discussed_at is not None},
    )
    return item


DECISION_KINDS = IdtDecision.Kind.values


@transaction.atomic
def idt_decision_record(
    *,
    actor: Any,
    item: IdtAgendaItem,
    kind: str,
    text: str,
    owner: Any = None,
    due: date | None = None,
    discipline: str = "",
    patient_words: str = "",
    review_date: date | None = None,
) -> IdtDecision:
    """A decision on a patient's item, made real in one step: a task for its owner due on
    `due`; a new intervention owned by `discipline`; a new goal in the patient's words with
    `text` as its measurable target and a review date; or a decision noted."""
    _item_open(actor, item)
    errors: Errors = {}
    check_choice(errors, "kind", kind, DECISION_KINDS)
    check_text(errors, "text", text, 500, required=True)
    if kind == IdtDecision.Kind.TASK:
        if owner is None:
            errors.setdefault("owner", []).append("Choose who will do it.")
        if due is None:
            errors.setdefault("due", []).append("Give the date it is due.")
        elif due < clock.today_in(item.meeting.program.timezone):
            errors.setdefault("due", []).append("The due date cannot be in the past.")
    if kind == IdtDecision.Kind.INTERVENTION:
        check_choice(errors, "discipline", discipline, Discipline.values)
    if kind == IdtDecision.Kind.GOAL:
        check_text(errors, "patient_words", patient_words, 1000, required=True)
    if kind in (IdtDecision.Kind.INTERVENTION, IdtDecision.Kind.GOAL) and item.episode is None:
        errors.setdefault("kind", []).append("The patient has no episode to hold a care plan.")
    _raise(errors)
    decision = IdtDecision(item=item, kind=kind, text=text.strip(), decided_by=actor)
    meeting_note = f"Decided at the team meeting of {item.meeting.scheduled_for:%Y-%m-%d}."
    if kind == IdtDecision.Kind.TASK:
        assert due is not None
        decision.task = task_create(
            actor=actor,
            patient=item.patient,
            episode=item.episode,
            kind=TaskKind.IDT_DECISION,
            title=text.strip()[:200],
            detail=meeting_note,
            due=due,
            discipline=getattr(owner, "discipline", "") or "",
            assigned_to=owner,
        )
    elif kind == IdtDecision.Kind.INTERVENTION:
        plan = care_plan_for_episode(actor=actor, episode=item.episode)
        decision.intervention = intervention_add(
            actor=actor, plan=plan, description=text, discipline=discipline
        )
    elif kind == IdtDecision.Kind.GOAL:
        plan = care_plan_for_episode(actor=actor, episode=item.episode)
        decision.goal = goal_add(
            actor=actor,
            plan=plan,
            patient_words=patient_words,
            target=text,
            review_date=review_date,
        )
    decision.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="idt.decision.record",
        patient=item.patient,
        target=decision,
        detail={"kind": kind},
    )
    return decision


# --- the minutes -----------------------------------------------------------------------------


def minutes_draft(meeting: IdtMeeting) -> str:
    """The minutes as generated from the record: attendance by discipline, then each patient
    discussed with the note and the decisions. The team edits it before signing."""
    zone = ZoneInfo(meeting.program.timezone)
    when = meeting.scheduled_for.astimezone(zone)
    lines = [f"{meeting.team.name}: team meeting of {when:%A %-d %B %Y, %H:%M}", ""]
    attendance = list(
        IdtAttendance.objects.filter(meeting=meeting)
        .select_related("user")
        .order_by("discipline", "user__last_name")
    )
    lines.append("Present:")
    if not attendance:
        lines.append("- nobody recorded")
    for row in attendance:
        lines.append(f"- {row.user.display_name} ({row.get_discipline_display()})")
    lines.append("")
    items = list(
        IdtAgendaItem.objects.filter(meeting=meeting)
        .select_related("patient")
        .prefetch_related("decisions__task__assigned_to")
        .order_by("position")
    )
    discussed = [i for i in items if i.discussed_at is not None]
    lines.append(f"Patients discussed: {len(discussed)} of {len(items)} on the agenda.")
    for item in discussed:
        lines.append("")
        labels = [reason_label(r.get("code", "")) for r in item.reasons]
        reasons = "; ".join(dict.fromkeys(labels)) or "kept for the notes written"
        lines.append(f"{item.patient.full_name} (record {item.patient.mrn}): {reasons}")
        if item.discussion:
            lines.append(f"Discussion: {item.discussion}")
        for decision in item.decisions.all():
            line = f"Decision ({decision.get_kind_display().lower()}): {decision.text}"
            if decision.task is not None:
                owner = decision.task.assigned_to
                line += f", for {owner.display_name if owner else 'the team'}"
                line += f", due {day_text(decision.task.due)}"
            lines.append(line)
    not_discussed = [i for i in items if i.discussed_at is None]
    if not_discussed:
        lines.append("")
        lines.append("Not discussed: " + ", ".join(i.patient.full_name for i in not_discussed))
    return "\n".join(lines)


@transaction.atomic
def idt_minutes_save(
    *, actor: Any, meeting: IdtMeeting, minutes: str, expected_version: int | None
) -> None:
    privilege_check(actor, "idt.run")
    _reach(actor, meeting)
    current = _open(meeting)
    errors: Errors = {}
    check_text(errors, "minutes", minutes, MINUTES_LIMIT, required=True)
    _raise(errors)
    current.minutes = minutes.strip()
    versioned_save(current, expected_version, ["minutes"])
    meeting.minutes, meeting.version = current.minutes, current.version
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="idt.minutes.save",
        program=meeting.program,
        target=meeting,
    )


@transaction.atomic
def idt_meeting_sign(
    *, actor: Any, meeting: IdtMeeting, minutes: str, expected_version: int | None
) -> None:
    """Sign the minutes: the meeting, its attendance, its items and decisions are then
    immutable (every write above refuses a signed meeting)."""
    privilege_check(actor, "idt.sign")
    _reach(actor, meeting)
    current = _open(meeting)
    if current.status != IdtMeeting.Status.IN_PROGRESS:
        raise ValidationError("Start the meeting before signing its minutes.")
    errors: Errors = {}
    check_text(errors, "minutes", minutes, MINUTES_LIMIT, required=True)
    _raise(errors)
    current.minutes = minutes.strip()
    current.status = IdtMeeting.Status.SIGNED
    current.signed_at, current.signed_by = clock.now(), actor
    versioned_save(current, expected_version, ["minutes", "status", "signed_at", "signed_by"])
    meeting.minutes, meeting.status, meeting.version = (
        current.minutes,
        current.status,
        current.version,
    )
    meeting.signed_at, meeting.signed_by = current.signed_at, actor
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="idt.meeting.sign",
        program=meeting.program,
        target=meeting,
    )

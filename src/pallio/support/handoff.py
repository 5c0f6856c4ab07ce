"""The morning hand-off of the 24/7 line (issue 13, requirement 7).

At the start of the day shift (the program's ``support_day_shift_starts``, local time), the
day team gets every call since the previous day shift started, with its disposition; a
follow-up task for the right discipline for each call that needs one; and the patients called
about more than once. A team (careplans.IdtTeam) sees the calls about the patients its
members care for; the program's coordinator and medical director see every call.

The follow-up tasks are made by the background worker's sweep once the day shift has
started (support/tasks.py), through careplans.services.task_create, one per call: the link
(CallFollowUp) is unique per call and written in the transaction that makes the task while
the call's row is locked, so a sweep run twice, or two at once, makes one task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import IdtTeam, Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Patient
from pallio.support.models import Call, CallEscalation, CallFollowUp, CallReason, Disposition

PAGE_SIZE = 100


@dataclass(frozen=True)
class FollowUpRule:
    """Which calls need the day team, and whose work the follow-up is."""

    key: str
    discipline: str
    title: str

    def matches(self, call: Call) -> bool:
        return MATCHERS[self.key](call)


# In order: the first rule a call matches decides its one follow-up task.
MATCHERS: dict[str, Any] = {
    "no_disposition": lambda c: not c.disposition,
    "red_flag": lambda c: c.red_flag,
    "emergency": lambda c: c.disposition == Disposition.EMERGENCY,
    "physician_consulted": lambda c: c.disposition == Disposition.PHYSICIAN_CONSULTED,
    "nurse_visit": lambda c: c.disposition == Disposition.NURSE_VISIT,
    "medication_per_orders": lambda c: c.disposition == Disposition.MEDICATION_PER_ORDERS,
    "hospice_notified": lambda c: c.disposition == Disposition.HOSPICE_NOTIFIED,
    "pronouncement_visit": lambda c: c.disposition == Disposition.PRONOUNCEMENT_VISIT,
    "caregiver": lambda c: c.reason == CallReason.CAREGIVER,
    "equipment": lambda c: c.reason == CallReason.EQUIPMENT,
}
FOLLOW_UP_RULES = (
    FollowUpRule(
        "no_disposition", Discipline.NURSE, "Call back: no disposition recorded overnight"
    ),
    FollowUpRule("red_flag", Discipline.PHYSICIAN, "Review last night's red-flag call"),
    FollowUpRule(
        "emergency",
        Discipline.CARE_COORDINATOR,
        "Find out where the patient went after the ED call",
    ),
    FollowUpRule(
        "physician_consulted", Discipline.PHYSICIAN, "Review the on-call physician's advice"
    ),
    FollowUpRule("nurse_visit", Discipline.NURSE, "Follow up last night's nurse visit"),
    FollowUpRule(
        "medication_per_orders", Discipline.NURSE, "Check the medication given overnight helped"
    ),
    FollowUpRule(
        "hospice_notified", Discipline.CARE_COORDINATOR, "Confirm the hospice has taken over"
    ),
    FollowUpRule(
        "pronouncement_visit", Discipline.SOCIAL_WORKER, "Contact the family after the death"
    ),
    FollowUpRule("caregiver", Discipline.SOCIAL_WORKER, "Call the caregiver back"),
    FollowUpRule("equipment", Discipline.CARE_COORDINATOR, "Sort out the equipment asked for"),
)


def follow_up_rule(call: Call) -> FollowUpRule | None:
    """The follow-up a call needs, or None (advice that settled it, a call with no patient)."""
    if call.patient_id is None or call.entered_in_error:
        return None
    return next((rule for rule in FOLLOW_UP_RULES if rule.matches(call)), None)


# --- the window -------------------------------------------------------------------------------


def _zone(program: Any) -> ZoneInfo:
    return ZoneInfo(program.timezone)


def day_shift_start(program: Any, day: date) -> datetime:
    hours, minutes = (
        int(part) for part in str(program.setting("support_day_shift_starts")).split(":")
    )
    return datetime.combine(day, time(hours, minutes), tzinfo=_zone(program))


def handoff_day(program: Any, now: datetime | None = None) -> date:
    """The day whose hand-off is current: today once the day shift has started, else the
    day before."""
    now = now or clock.now()
    today = now.astimezone(_zone(program)).date()
    return today if now >= day_shift_start(program, today) else today - timedelta(days=1)


def handoff_window(program: Any, day: date) -> tuple[datetime, datetime]:
    """From the previous day shift's start to this one's."""
    return day_shift_start(program, day - timedelta(days=1)), day_shift_start(program, day)


def _window_calls(program: Any, day: date) -> QuerySet[Call]:
    starts, ends = handoff_window(program, day)
    return Call.objects.filter(
        program=program, entered_in_error=False, received_at__gte=starts, received_at__lt=ends
    )


def team_patients_q(team: IdtTeam, *, prefix: str = "") -> Exists:
    """Patients one of the team's members cares for (active on the care team)."""
    return Exists(
        CareTeamMember.objects.filter(
            patient_id=OuterRef(f"{prefix}patient_id"),
            active=True,
            user__idt_teams=team,
        )
    )


# --- building the follow-up tasks ---------------------------------------------------------------


def _assignee(patient_id: Any, discipline: str) -> Any:
    member = (
        CareTeamMember.objects.filter(
            patient_id=patient_id, active=True, discipline=discipline, user__is_active=True
        )
        .select_related("user")
        .order_by("-is_lead", "created_at")
        .first()
    )
    return member.user if member is not None else None


def call_follow_up_create(*, actor: Any, call_id: Any, due: date) -> Task | None:
    """The call's follow-up task, made once; None when the call needs none or has one."""
    try:
        with transaction.atomic():
            call = (
                Call.objects.select_for_update(of=("self",))
                .select_related("patient")
                .filter(pk=call_id)
                .first()
            )
            if call is None or CallFollowUp.objects.filter(call_id=call.pk).exists():
                return None
            rule = follow_up_rule(call)
            if rule is None or call.patient_id is None:
                return None
            episode = (
                EpisodeOfCare.objects.filter(
                    patient_id=call.patient_id, status=EpisodeOfCare.Status.ACTIVE
                )
                .order_by("-created_at")
                .first()
            )
            received = call.received_at.astimezone(ZoneInfo(call.program.timezone))
            task = task_create(
                actor=actor,
                patient=call.patient,
                episode=episode,
                kind=TaskKind.FOLLOW_UP,
                title=rule.title,
                due=due,
                discipline=rule.discipline,
                assigned_to=_assignee(call.patient_id, rule.discipline),
                detail=(
                    f"From the support line's hand-off: a call received {received:%d %b %H:%M} "
                    f"({call.get_reason_display().lower()}); disposition: "
                    f"{call.get_disposition_display() or 'none recorded'}."
                ),
            )
            CallFollowUp.objects.create(call=call, task=task)
            return task
    except IntegrityError:  # another sweep made this call's follow-up first
        return None


def handoff_follow_ups_build(
    *, program: Any, now: datetime | None = None, day: date | None = None, actor: Any = None
) -> list[Task]:
    """Make the follow-up tasks of the hand-off of `day` (by default the current one, once
    the day shift has started). Idempotent; returns the tasks made now."""
    now = now or clock.now()
    day = day or handoff_day(program, now)
    if now < day_shift_start(program, day):
        return []
    candidates = (
        _window_calls(program, day)
        .filter(patient__isnull=False)
        .exclude(Exists(CallFollowUp.objects.filter(call_id=OuterRef("pk"))))
        .order_by("received_at", "id")
    )
    made = []
    for call in candidates.only("pk", "patient_id", "disposition", "red_flag", "reason"):
        if follow_up_rule(call) is None:
            continue
        task = call_follow_up_create(actor=actor, call_id=call.pk, due=day)
        if task is not None:
            made.append(task)
    return made


# --- reading the hand-off -----------------------------------------------------------------------


@dataclass
class Handoff:
    day: date
    starts: datetime
    ends: datetime
    team: IdtTeam | None
    page: Page[Call]
    total: int
    repeated: list[tuple[Patient, int]] = field(default_factory=list)
    follow_ups_due: int = 0
    unmatched: int = 0


def handoff_teams(user: Any) -> list[IdtTeam]:
    return list(IdtTeam.objects.filter(program_id=user.program_id).order_by("name"))


def handoff_for(user: Any, *, day: date, team: IdtTeam | None, page: Any = 1) -> Handoff:
    """The hand-off of `day` as `user` may see it: calls about patients they reach (and calls
    matched to no patient), narrowed to `team`'s patients when one is chosen. A fixed number
    of queries whatever the night held; the read is audited with the patients listed."""
    program = user.program
    calls = _window_calls(program, day).filter(
        Q(patient__isnull=True) | Q(access.patient_access_q(user, prefix="patient__"))
    )
    if team is not None:
        calls = calls.filter(team_patients_q(team))
    # Patients called about more than once, with their names, in one query.
    repeated_rows = (
        calls.filter(patient__isnull=False)
        .values("patient_id")
        .annotate(times=Count("id"))
        .filter(times__gt=1)
        .values_list("patient_id", "times")
        .order_by()
    )
    per_patient = dict(repeated_rows)
    calls = (
        calls.select_related("patient", "taken_by", "follow_up__task__assigned_to")
        .prefetch_related(
            Prefetch(
                "escalations",
                queryset=CallEscalation.objects.select_related("sent_to").order_by("created_at"),
            )
        )
        .order_by("received_at", "id")
    )
    paginator = Paginator(calls, PAGE_SIZE)
    result_page = paginator.get_page(page)
    starts, ends = handoff_window(program, day)
    rows = list(result_page.object_list)
    result_page.object_list = rows
    patients: dict[Any, Any] = {
        c.patient_id: c.patient for c in rows if c.patient_id in per_patient
    }
    missing = [pk for pk in per_patient if pk not in patients]
    if missing:  # repeated callers whose calls are all on other pages of a long night
        patients.update({p.pk: p for p in Patient.objects.filter(pk__in=missing)})
    repeated = sorted(
        ((patients[pk], times) for pk, times in per_patient.items() if pk in patients),
        key=lambda item: (-item[1], item[0].family_name, item[0].given_name),
    )
    for call in rows:
        times = per_patient.get(call.patient_id, 0) if call.patient_id else 0
        call.times_called = times  # type: ignore[attr-defined]
        call.needs_follow_up = follow_up_rule(call)  # type: ignore[attr-defined]
    result = Handoff(
        day=day,
        starts=starts,
        ends=ends,
        team=team,
        page=result_page,
        total=paginator.count,
        repeated=repeated,
        unmatched=sum(1 for c in rows if c.patient_id is None),
        follow_ups_due=sum(1 for c in rows if getattr(c, "needs_follow_up", None)),
    )
    audit_record(
        actor=user,
        action=Action.READ,
        event="support.handoff",
        detail={
            "day": day.isoformat(),
            "team": str(team.pk) if team is not None else "",
            "patients": sorted(
                {str(c.patient_id) for c in rows if c.patient_id} | {str(p.pk) for p, _ in repeated}
            ),
        },
    )
    return result

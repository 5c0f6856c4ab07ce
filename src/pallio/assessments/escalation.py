"""Writes that keep an alert from being missed: escalation of an alert nobody acknowledged,
and taking an alert off a discipline's program-wide queue.

An alert not acknowledged by its due time goes to the patient's team lead, then, a further
period later, to the program's on-call clinician (both periods and the on-call clinician
are program settings). The background worker escalates (tasks.alerts_escalate_task); each
step is one row of AlertEscalation, unique per (alert, step), written in the transaction
that holds the alert's row lock, so a worker that runs twice, or dies and is replaced,
escalates each step exactly once.

An alert whose discipline has nobody on the patient's care team is raised with no assignee:
it sits on that discipline's program-wide queue, where every member of the discipline in
the program sees it, until one of them takes it (and so joins the care team).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pallio.accounts.models import Role, User
from pallio.assessments.models import Alert, AlertEscalation
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task
from pallio.careplans.services import task_assign_with
from pallio.core import access, clock
from pallio.core.models import ConflictError
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.episodes.services import care_team_add

log = logging.getLogger(__name__)

ESCALATE_BATCH = 500


@dataclass(frozen=True)
class EscalationPolicy:
    to_lead_after: timedelta
    to_on_call_after: timedelta

    @classmethod
    def of(cls, program: Any) -> EscalationPolicy:
        return cls(
            to_lead_after=timedelta(
                minutes=float(program.setting("alert_escalate_to_lead_minutes"))
            ),
            to_on_call_after=timedelta(
                minutes=float(program.setting("alert_escalate_to_on_call_minutes"))
            ),
        )


def team_lead(patient: Any) -> Any:
    member = (
        CareTeamMember.objects.filter(
            patient=patient, active=True, is_lead=True, user__is_active=True
        )
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return member.user if member is not None else None


def on_call_clinician(program: Any, patient: Any = None) -> Any:
    """The program's on-call clinician: the user the program named, if they may see the
    patient; else whoever covers the 24/7 line's first line now (the roster: on shift, they
    reach every patient of the program); else the program's active user with the on-call
    role."""
    from django.apps import apps

    users = User.objects.filter(program=program, is_active=True)
    username = str(program.setting("alert_on_call_username") or "")
    if username:
        chosen = users.filter(username=username).first()
        if chosen is not None and (patient is None or access.can_access_patient(chosen, patient)):
            return chosen
    # Read by name: the support app builds on assessments, not the other way round.
    now = clock.now()
    shift = (
        apps.get_model("support", "Shift")
        .objects.filter(
            program=program,
            line="first",
            cancelled=False,
            starts_at__lte=now,
            ends_at__gt=now,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("-starts_at")
        .first()
    )
    if shift is not None:
        return shift.user
    return users.filter(role=Role.ON_CALL).order_by("date_joined", "pk").first()


def _record(alert: Alert, *, step: str, to_user: Any, now: datetime) -> AlertEscalation | None:
    try:
        with transaction.atomic():
            row = AlertEscalation.objects.create(
                alert=alert, step=step, to_user=to_user, escalated_at=now
            )
    except IntegrityError:  # the step was recorded by another worker
        return None
    audit_record(
        actor=None,
        action=Action.UPDATE,
        event="alert.escalate",
        patient=alert.patient,
        target=alert,
        detail={"step": step, "to": str(to_user.uuid)},
    )
    return row


@transaction.atomic
def alert_escalate(*, alert_id: Any, now: datetime | None = None) -> AlertEscalation | None:
    """Take an unacknowledged overdue alert one step up, if that step is due: to the team
    lead (unless the lead is the one it is assigned to, or there is none), then to the
    on-call clinician. Returns the step written, or None."""
    now = now or clock.now()
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("patient__program", "task")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None or alert.status != Alert.Status.OPEN:
        return None
    policy = EscalationPolicy.of(alert.patient.program)
    if alert.due_at + policy.to_lead_after > now:
        return None
    done = {row.step: row for row in alert.escalations.all()}
    if AlertEscalation.Step.ON_CALL in done:
        return None
    if AlertEscalation.Step.LEAD not in done:
        lead = team_lead(alert.patient)
        assignee = alert.task.assigned_to_id if alert.task is not None else None
        if lead is not None and lead.pk != assignee:
            return _record(alert, step=AlertEscalation.Step.LEAD, to_user=lead, now=now)
        # Nobody above the assignee on the team: the on-call clinician is next.
    elif done[AlertEscalation.Step.LEAD].escalated_at + policy.to_on_call_after > now:
        return None
    on_call = on_call_clinician(alert.patient.program, alert.patient)
    if on_call is None:
        log.warning("alert %s is overdue and the program has no on-call clinician", alert.pk)
        return None
    return _record(alert, step=AlertEscalation.Step.ON_CALL, to_user=on_call, now=now)


def alerts_escalate(
    *, program: Any, now: datetime | None = None, limit: int = ESCALATE_BATCH
) -> list[AlertEscalation]:
    """Escalate every alert of `program` with a step due, each in its own transaction (a
    worker stopped half-way keeps the steps it wrote; the next run does the rest)."""
    now = now or clock.now()
    policy = EscalationPolicy.of(program)
    candidates = list(
        Alert.objects.filter(
            program=program, status=Alert.Status.OPEN, due_at__lte=now - policy.to_lead_after
        )
        .exclude(escalations__step=AlertEscalation.Step.ON_CALL)
        .order_by("priority", "due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    written = []
    for alert_id in candidates:
        row = alert_escalate(alert_id=alert_id, now=now)
        if row is not None:
            written.append(row)
    return written


@transaction.atomic
def alert_take(*, actor: Any, alert: Alert, expected_version: int | None) -> Alert:
    """A member of the alert's discipline takes it off the program-wide queue: its
    follow-up task is theirs, and they join the patient's care team."""
    if expected_version is not None and expected_version != alert.version:
        raise ConflictError(
            "This alert was changed by someone else while you were looking at it. "
            "Reload to see their change."
        )
    if getattr(actor, "discipline", "") != alert.discipline:
        raise ValidationError("Only a member of the alert's discipline can take it.")
    if alert.status == Alert.Status.RESOLVED:
        raise ValidationError("This alert is already resolved.")
    if alert.task_id is None:
        raise ValidationError("This alert has no follow-up task to take.")
    task = Task.objects.select_for_update().get(pk=alert.task_id)
    if task.assigned_to_id is not None:
        raise ValidationError("Someone has already taken this alert.")
    episode = EpisodeOfCare.objects.filter(
        patient_id=alert.patient_id, status=EpisodeOfCare.Status.ACTIVE
    ).first()
    if episode is None:
        raise ValidationError(
            "The patient is not enrolled, so nobody can join the care team. "
            "Ask the intake coordinator."
        )
    care_team_add(actor=actor, episode=episode, user=actor)
    task_assign_with(task=task, user=actor)
    alert.save_versioned(expected_version=alert.version, fields=[])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="alert.take",
        patient=alert.patient,
        target=alert,
    )
    return alert

"""The demo's 24/7 line operations: one open escalation among last night's calls, and this
morning's hand-off built (its follow-up tasks made).

Run after the roster and the calls of the demo exist (programs/demo.py calls it last): it
escalates one of last night's open calls nobody called back, paging whoever the roster had on
the second line then. Without a roster it pages the medical director and says nobody was on
shift; without last night's calls it records the one call it needs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from pallio.accounts.models import Role, User
from pallio.core import clock
from pallio.patients.models import Patient
from pallio.support.escalation import EscalationPolicy, call_escalate, escalation_page_send
from pallio.support.handoff import (
    day_shift_start,
    handoff_follow_ups_build,
    handoff_window,
)
from pallio.support.models import Call, CallerKind, CallReason


def _unanswered_call(program: Any, rng: random.Random, today: date) -> Call | None:
    """An open call of last night nobody called back, or one recorded for the demo."""
    starts, ends = handoff_window(program, today)
    last_night = Call.objects.filter(program=program, received_at__gte=starts, received_at__lt=ends)
    if last_night.filter(escalations__isnull=False, acknowledged_at__isnull=True).exists():
        return None  # the demo has its open escalation already
    waiting = (
        Call.objects.filter(
            program=program,
            status=Call.Status.OPEN,
            entered_in_error=False,
            called_back_at__isnull=True,
            acknowledged_at__isnull=True,
            received_at__gte=starts,
            received_at__lt=ends,
            escalations__isnull=True,
        )
        .order_by("-received_at")
        .first()
    )
    if waiting is not None:
        return waiting
    patients = list(
        Patient.objects.filter(program=program, episodes__status="active")
        .distinct()
        .order_by("mrn")[:50]
    )
    nurse = (
        User.objects.filter(program=program, is_active=True, role=Role.ON_CALL)
        .order_by("username")
        .first()
        or User.objects.filter(program=program, is_active=True).order_by("username").first()
    )
    if not patients or nurse is None:
        return None
    patient = rng.choice(patients)
    return Call.objects.create(
        program=program,
        patient=patient,
        caller_kind=CallerKind.CAREGIVER,
        caller_name="Family caregiver",
        callback_number=patient.phone or "+16175550100",
        received_at=day_shift_start(program, today) - timedelta(hours=2, minutes=20),
        reason=CallReason.SYMPTOM,
        story="Breathless since midnight, more than usual; asks for a call back.",
        taken_by=nurse,
    )


def support_ops_demo_populate(*, program: Any, rng: random.Random, today: date) -> dict[str, int]:
    """One open escalation on last night's calls and this morning's hand-off built. Returns
    counts for the demo's summary."""
    escalated = 0
    call = _unanswered_call(program, rng, today)
    if call is not None:
        policy = EscalationPolicy.of(program)
        paged_at = call.received_at + policy.callback_within + timedelta(minutes=1)
        with clock.frozen(paged_at):
            step = call_escalate(call_id=call.pk, now=paged_at)
            if step is not None:
                escalated = 1
                escalation_page_send(escalation_id=step.pk)
    morning = day_shift_start(program, today)
    with clock.frozen(morning):
        tasks = handoff_follow_ups_build(program=program, now=morning, day=today)
    return {"escalations": escalated, "handoff_tasks": len(tasks)}

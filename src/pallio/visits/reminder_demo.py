"""Demo reminders for `make run`: today's booked visits show the day-before reminders already
sent, so a visit's send log reads as it will in use.
Recorded, not sent: the demo's addresses are made up. Later reminders are sent by the real
sweep once `make run` is serving (to the console and the mail outbox folder)."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pallio.visits.models import ScheduledVisit
from pallio.visits.reminder_models import VisitReminder
from pallio.visits.reminders import ReminderPlan, reminder_addresses


def reminders_demo_populate(*, program: Any, rng: random.Random, today: date) -> int:
    """Sent day-before reminders of today's booked visits; returns how many were recorded."""
    plan = ReminderPlan.of(program)
    if not plan.active:
        return 0
    zone = ZoneInfo(program.timezone)
    start = datetime.combine(today, time(0), tzinfo=zone)
    visits = ScheduledVisit.objects.filter(
        program=program,
        status=ScheduledVisit.Status.BOOKED,
        starts_at__gte=start,
        starts_at__lt=start + timedelta(days=1),
    ).select_related("patient")
    hours = max(plan.hours)
    rows = []
    for visit in visits.order_by("starts_at", "pk"):
        if visit.patient.deceased_at is not None:
            continue
        due = visit.starts_at - timedelta(hours=hours)
        for recipient, channel, address in reminder_addresses(visit.patient, plan):
            sent_at = due + timedelta(seconds=rng.randint(5, 90))
            rows.append(
                VisitReminder(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    program=program,
                    visit=visit,
                    visit_starts_at=visit.starts_at,
                    hours_before=hours,
                    recipient=recipient,
                    channel=channel,
                    to_address=address,
                    due_at=due,
                    status=VisitReminder.Status.SENT,
                    attempts=1,
                    last_error="",
                    sent_at=sent_at,
                    created_at=due,
                    updated_at=sent_at,
                )
            )
    VisitReminder.objects.bulk_create(rows)
    return len(rows)

"""Visit reminders: sent at the program's times before each booked visit, never twice.

The background worker runs ``reminders_sweep`` (visits/reminder_tasks.py; `pallio reminders
sweep` queues it, and `make run` does so every minute). A sweep:

1. claims each reminder whose time has come: it inserts the send-log row (VisitReminder)
   first, and the database refuses a second row for the same visit, visit time, hours before,
   recipient and channel, so two workers sweeping together claim each reminder once;
2. sends each claimed reminder that is waiting (or whose retry time has come), after taking it
   with a conditional update (waiting -> being sent) that only one worker can win. A failure
   is recorded with a plain reason and tried again later (5, 15, then 60 minutes), never by a
   second row; after the last try it is recorded as could not be sent.

When a reminder's time has come: ``hours_before`` hours before the visit starts. When several
times have passed (a visit booked late, a worker that was stopped), only the nearest to the
visit is sent, and one whose next time is less than an hour away waits for that one. Nothing is
sent for a visit that is not booked (cancelled, missed, completed), that has started, or whose
patient has died: a reminder waiting for such a visit is marked not sent, with why. A visit
moved to another time is another visit time: its reminders are claimed afresh for the new
time, and the ones still waiting for the old time are not sent.

Recipients: the patient, and the main caregiver (the first related person on the chart, by
rank: acp.HealthcareAgent). An address shared by both gets one reminder (the patient's). A
missing or unusable address is skipped; the page says who can be reached.

A worker killed while sending leaves its row "being sent"; after 10 minutes a sweep marks it
"not confirmed" and never sends it again: the message may have been handed to the mail server
or the text provider just before the worker died, and a family must never get a reminder twice.
Delivery is therefore at most once; the send log says which reminders were not confirmed.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock, phones, sms
from pallio.visits.models import ScheduledVisit
from pallio.visits.reminder_messages import reminder_email, reminder_sms
from pallio.visits.reminder_models import VisitReminder

log = logging.getLogger(__name__)

Status = VisitReminder.Status
# Minutes to wait before the next try, by the number of tries made so far; then give up.
RETRY_DELAYS_MINUTES = (5, 15, 60)
STALE_SENDING = timedelta(minutes=10)
# A reminder whose next (nearer) time is this close waits for it rather than going now.
CLOSE_TOGETHER = timedelta(hours=1)
SEND_LIMIT = 500

WITHHELD_DIED = "Not sent: the patient died."
WITHHELD_MOVED = "Not sent: the visit moved; a reminder for the new time is sent instead."
WITHHELD_STARTED = "Not sent: the visit had started before it could be sent."
WITHHELD_STATUS = "Not sent: the visit is {status}."


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    withheld: int = 0

    def __str__(self) -> str:
        return (
            f"{self.claimed} reminder(s) due, {self.sent} sent, {self.failed} failed, "
            f"{self.withheld} not sent"
        )


@dataclass(frozen=True)
class ReminderPlan:
    """A program's reminder settings."""

    hours: tuple[int, ...]
    recipients: tuple[str, ...]
    channels: tuple[str, ...]

    @classmethod
    def of(cls, program: Any) -> ReminderPlan:
        return cls(
            hours=tuple(sorted(program.setting("visit_reminder_hours"), reverse=True)),
            recipients=tuple(program.setting("visit_reminder_recipients")),
            channels=tuple(program.setting("visit_reminder_channels")),
        )

    @property
    def active(self) -> bool:
        return bool(self.hours and self.recipients and self.channels)


# --- who is reminded, where -----------------------------------------------------------------


def main_caregiver(patient: Any) -> Any:
    """The patient's main caregiver: the first related person on the chart (the healthcare
    agent, then the alternates), read by name so that the two apps do not import each other."""
    related = apps.get_model("acp", "HealthcareAgent")
    return (
        related.objects.filter(patient_id=patient.pk, entered_in_error=False)
        .order_by("rank", "created_at")
        .first()
    )


def _number(raw: str) -> str:
    try:
        return phones.phone_to_e164(raw)
    except phones.InvalidPhone:
        return ""


def reminder_addresses(patient: Any, plan: ReminderPlan) -> list[tuple[str, str, str]]:
    """(recipient, channel, address) for each reminder of one visit time, one per address."""
    people: list[tuple[str, Any]] = []
    if VisitReminder.Recipient.PATIENT in plan.recipients:
        people.append((VisitReminder.Recipient.PATIENT, patient))
    if VisitReminder.Recipient.CAREGIVER in plan.recipients:
        caregiver = main_caregiver(patient)
        if caregiver is not None:
            people.append((VisitReminder.Recipient.CAREGIVER, caregiver))
    found: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for recipient, person in people:
        for channel in plan.channels:
            if channel == VisitReminder.Channel.EMAIL:
                address = (person.email or "").strip()
            else:
                address = _number(person.phone or "")
            if not address or (channel, address.lower()) in seen:
                continue
            seen.add((channel, address.lower()))
            found.append((str(recipient), str(channel), address))
    return found


# --- claiming --------------------------------------------------------------------------------


def _hours_due(visit: ScheduledVisit, plan: ReminderPlan, now: datetime) -> int | None:
    """The reminder of this visit whose time has come and is nearest the visit, or None
    (none has come, or the next one is less than an hour away)."""
    due = [h for h in plan.hours if visit.starts_at - timedelta(hours=h) <= now]
    if not due:
        return None
    upcoming = [h for h in plan.hours if visit.starts_at - timedelta(hours=h) > now]
    if upcoming and visit.starts_at - timedelta(hours=max(upcoming)) - now < CLOSE_TOGETHER:
        return None
    return min(due)


def _claim(visit: ScheduledVisit, hours: int, recipient: str, channel: str, address: str) -> bool:
    try:
        with transaction.atomic():
            VisitReminder.objects.create(
                program_id=visit.program_id,
                visit=visit,
                visit_starts_at=visit.starts_at,
                hours_before=hours,
                recipient=recipient,
                channel=channel,
                to_address=address,
                due_at=visit.starts_at - timedelta(hours=hours),
            )
    except IntegrityError:
        return False  # claimed already, by an earlier sweep or another worker
    return True


def reminders_claim(*, now: datetime | None = None) -> int:
    """Claim every reminder whose time has come (one send-log row each); returns how many."""
    now = now or clock.now()
    program_model = apps.get_model("programs", "Program")
    claimed = 0
    for program in program_model.objects.order_by("pk"):
        plan = ReminderPlan.of(program)
        if not plan.active:
            continue
        visits = list(
            ScheduledVisit.objects.filter(
                program_id=program.pk,
                status=ScheduledVisit.Status.BOOKED,
                starts_at__gt=now,
                starts_at__lte=now + timedelta(hours=max(plan.hours)),
                patient__deceased_at__isnull=True,
                patient__entered_in_error=False,
            ).select_related("patient")
        )
        done = set(
            VisitReminder.objects.filter(visit__in=visits).values_list(
                "visit_id", "visit_starts_at", "hours_before", "recipient", "channel"
            )
        )
        for visit in visits:
            hours = _hours_due(visit, plan, now)
            if hours is None:
                continue
            for recipient, channel, address in reminder_addresses(visit.patient, plan):
                key = (visit.pk, visit.starts_at, hours, recipient, channel)
                if key not in done and _claim(visit, hours, recipient, channel, address):
                    claimed += 1
    return claimed


# --- sending ---------------------------------------------------------------------------------


def _withhold_reason(reminder: VisitReminder, now: datetime) -> str:
    visit = reminder.visit
    if visit.patient.deceased_at is not None:
        return WITHHELD_DIED
    if visit.status != ScheduledVisit.Status.BOOKED:
        return WITHHELD_STATUS.format(status=visit.get_status_display().lower())
    if visit.starts_at != reminder.visit_starts_at:
        return WITHHELD_MOVED
    if now >= reminder.visit_starts_at:
        return WITHHELD_STARTED
    return ""


def failure_reason(channel: str, exc: BaseException) -> str:
    """What went wrong, in words a coordinator can act on."""
    if channel == VisitReminder.Channel.EMAIL:
        from pallio.visits.tasks import failure_reason as mail_failure_reason

        return mail_failure_reason(exc)
    detail = str(exc).replace("\n", " ").strip()[:120]
    return f"The text message could not be sent ({detail or type(exc).__name__})."


def _deliver(reminder: VisitReminder) -> None:
    if reminder.channel == VisitReminder.Channel.EMAIL:
        subject, body = reminder_email(reminder)
        EmailMessage(
            subject=subject,
            body=body,
            to=[reminder.to_address],
            from_email=settings.DEFAULT_FROM_EMAIL,
            headers={"Message-ID": f"<visit-reminder-{reminder.pk}@pallio>"},
        ).send()
    else:
        sms.sms_send(to=reminder.to_address, body=reminder_sms(reminder))


def _finish(reminder: VisitReminder, **values: Any) -> None:
    values["updated_at"] = clock.now()
    VisitReminder.objects.filter(pk=reminder.pk).update(**values)
    for name, value in values.items():
        setattr(reminder, name, value)


def reminder_send(reminder_id: Any, *, now: datetime | None = None) -> str:
    """Send one claimed reminder, if it is still to be sent and no other worker has taken it.
    Returns its status afterwards ("" when it was not taken here)."""
    now = now or clock.now()
    taken = (
        VisitReminder.objects.filter(pk=reminder_id, status__in=[Status.QUEUED, Status.FAILED])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Status.SENDING, attempts=F("attempts") + 1, updated_at=now)
    )
    if not taken:
        return ""
    reminder = VisitReminder.objects.select_related(
        "visit__patient", "visit__program", "visit__place"
    ).get(pk=reminder_id)
    reason = _withhold_reason(reminder, now)
    if reason:
        _finish(reminder, status=Status.WITHHELD, last_error=reason, next_attempt_at=None)
        return Status.WITHHELD
    try:
        _deliver(reminder)
    except (OSError, smtplib.SMTPException) as exc:
        tries = reminder.attempts
        if tries <= len(RETRY_DELAYS_MINUTES):
            later = now + timedelta(minutes=RETRY_DELAYS_MINUTES[tries - 1])
            status, next_at = Status.FAILED, later
        else:
            status, next_at = Status.GAVE_UP, None
        _finish(
            reminder,
            status=status,
            last_error=failure_reason(reminder.channel, exc)[:300],
            next_attempt_at=next_at,
        )
        log.warning(
            "visit reminder %s not sent (attempt %s): %s", reminder.pk, tries, type(exc).__name__
        )
        return status
    with transaction.atomic():
        _finish(reminder, status=Status.SENT, sent_at=now, last_error="", next_attempt_at=None)
        audit_record(
            actor=None,
            action=Action.EXPORT,
            event="visit_reminder.send",
            patient=reminder.visit.patient,
            target=reminder,
            detail={
                "visit": str(reminder.visit_id),
                "recipient": reminder.recipient,
                "channel": reminder.channel,
                "hours_before": reminder.hours_before,
            },
        )
    return Status.SENT


def _heal_stale(now: datetime) -> int:
    """Rows a stopped worker left "being sent" are not confirmed, and not sent again."""
    return VisitReminder.objects.filter(
        status=Status.SENDING, updated_at__lt=now - STALE_SENDING
    ).update(
        status=Status.UNKNOWN,
        last_error=(
            "Sending stopped part-way, so it may or may not have gone out. It is not sent "
            "again, so that no one gets it twice."
        ),
        next_attempt_at=None,
        updated_at=now,
    )


def reminders_sweep(*, now: datetime | None = None) -> SweepResult:
    """Claim the reminders whose time has come and send every one waiting; safe to run twice
    and from two workers at once."""
    now = now or clock.now()
    result = SweepResult()
    _heal_stale(now)
    result.claimed = reminders_claim(now=now)
    waiting = list(
        VisitReminder.objects.filter(
            Q(status=Status.QUEUED) | Q(status=Status.FAILED, next_attempt_at__lte=now)
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:SEND_LIMIT]
    )
    for reminder_id in waiting:
        status = reminder_send(reminder_id, now=now)
        if status == Status.SENT:
            result.sent += 1
        elif status in (Status.FAILED, Status.GAVE_UP):
            result.failed += 1
        elif status == Status.WITHHELD:
            result.withheld += 1
    return result


# --- the send log on the visit -------------------------------------------------------------


def reminders_of_visit(visit: ScheduledVisit) -> list[VisitReminder]:
    """The visit's send log, newest first (for a visit already access-checked)."""
    rows = VisitReminder.objects.filter(visit_id=visit.pk)
    return sorted(
        rows,
        key=lambda r: (
            -r.due_at.timestamp(),
            r.recipient != VisitReminder.Recipient.PATIENT,
            r.channel != VisitReminder.Channel.EMAIL,
        ),
    )


def reminder_plan_words(program: Any) -> str:
    """The program's reminder settings in one sentence, for the visit page."""
    plan = ReminderPlan.of(program)
    if not plan.active:
        return "This program sends no visit reminders."
    numbers = [str(h) for h in plan.hours]
    hours = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"
    whom = " and ".join(VisitReminder.Recipient(r).label.lower() for r in plan.recipients)
    how = " and ".join(
        "email" if c == VisitReminder.Channel.EMAIL else "text message" for c in plan.channels
    )
    unit = "hour" if plan.hours == (1,) else "hours"
    return f"Reminders go {hours} {unit} before the visit to {whom}, by {how}."


def reminder_log_context(visit: ScheduledVisit) -> dict[str, Any]:
    """What visits/_reminder_log.html shows on the visit's page."""
    return {
        "reminders": reminders_of_visit(visit),
        "reminder_plan": reminder_plan_words(visit.program),
    }

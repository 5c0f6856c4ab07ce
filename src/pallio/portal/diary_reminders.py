"""Symptom diary reminders, by email and text message, at the cadence the team set on the
episode (weekly, every 2 weeks; none when no report is expected), never twice for the same
due day, never to a patient who has died or whose episode ended.

The approach is the visit reminders' (visits/reminders.py): a sweep first *claims* each
reminder by inserting its send-log row (DiaryReminder), which the database refuses twice for
the same portal account, due day and channel; then it sends each waiting row after taking it
with a conditional update (waiting -> being sent) that only one worker can win. A row a
stopped worker left "being sent" is marked not confirmed and never sent again: at most once.

When a diary is due: the episode's cadence in days after the last diary (or after enrollment
when there is none), counted in days of the program's time zone; the reminder goes from
REMINDER_FROM o'clock that day (or any later day while it is still due), never at night. A
diary sent moves the due day on, so the next reminder is for the next due day.

Who: every portal account that may fill in the patient's diary (the patient's own, and each
caregiver granted the diary scope), by the program's channels (`diary_reminder_channels`):
email to the account's address; text message to the patient's number for the patient's own
account, to the related person's number for a caregiver's. The words never name the patient
or say anything of their illness.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils.translation import gettext as _

from pallio.assessments.models import SymptomReport
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock, phones, sms
from pallio.episodes.models import CADENCE_DAYS, EpisodeOfCare
from pallio.portal.diary_models import DiaryReminder
from pallio.portal.models import PortalAccess, PortalScope

log = logging.getLogger(__name__)

Status = DiaryReminder.Status
# Local time from which a due reminder goes out (Pallio's default: no reminder at night).
REMINDER_FROM = time(9, 0)
RETRY_DELAYS_MINUTES = (5, 15, 60)
STALE_SENDING = timedelta(minutes=10)
SEND_LIMIT = 500

WITHHELD_DIED = "Not sent: the patient died."
WITHHELD_ENDED = "Not sent: the patient's episode of care ended."
WITHHELD_ACCESS = "Not sent: the portal access was revoked or suspended."


@dataclass
class DiarySweepResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    withheld: int = 0

    def __str__(self) -> str:
        return (
            f"{self.claimed} diary reminder(s) due, {self.sent} sent, {self.failed} failed, "
            f"{self.withheld} not sent"
        )


def _last_diaries(program: Any, patient_ids: list[Any]) -> dict[Any, datetime]:
    keys = list(program.setting("portal_diary_instruments"))
    rows = (
        SymptomReport.objects.filter(
            patient_id__in=patient_ids, instrument_key__in=keys, entered_in_error=False
        )
        .values("patient_id")
        .annotate(last=Max("answered_at"))
    )
    return {r["patient_id"]: r["last"] for r in rows}


def diary_due_on(episode: EpisodeOfCare, last: datetime | None, zone: ZoneInfo) -> Any:
    """The day the next diary is due (the program's time zone), or None (none expected)."""
    days = CADENCE_DAYS.get(episode.reporting_cadence)
    if days is None:
        return None
    since = last if last is not None and last > episode.start else episode.start
    return since.astimezone(zone).date() + timedelta(days=days)


def _address(access: PortalAccess, channel: str) -> str:
    if channel == DiaryReminder.Channel.EMAIL:
        return (access.user.email or "").strip()
    person = access.patient if access.is_patient else access.person
    try:
        return phones.phone_to_e164(getattr(person, "phone", "") or "")
    except phones.InvalidPhone:
        return ""


def _diary_accesses(patient_ids: list[Any]) -> dict[Any, list[PortalAccess]]:
    found: dict[Any, list[PortalAccess]] = {}
    rows = PortalAccess.objects.filter(
        patient_id__in=patient_ids, revoked_at__isnull=True, suspended_at__isnull=True
    ).select_related("user", "patient", "person")
    for access in rows:
        if access.can(PortalScope.DIARY) and access.user.is_active:
            found.setdefault(access.patient_id, []).append(access)
    return found


def reminders_claim(*, now: datetime | None = None) -> int:
    """Claim every diary reminder due now (one send-log row each); returns how many."""
    from pallio.programs.models import Program

    now = now or clock.now()
    claimed = 0
    for program in Program.objects.order_by("pk"):
        channels = list(program.setting("diary_reminder_channels"))
        zone = ZoneInfo(program.timezone)
        local = now.astimezone(zone)
        if not channels or local.time() < REMINDER_FROM:
            continue
        episodes = list(
            EpisodeOfCare.objects.filter(
                program=program,
                status=EpisodeOfCare.Status.ACTIVE,
                reporting_cadence__in=list(CADENCE_DAYS),
                patient__deceased_at__isnull=True,
                patient__entered_in_error=False,
            )
        )
        patient_ids = [e.patient_id for e in episodes]
        accesses = _diary_accesses(patient_ids)
        if not accesses:
            continue
        last = _last_diaries(program, list(accesses))
        for episode in episodes:
            due_on = diary_due_on(episode, last.get(episode.patient_id), zone)
            if due_on is None or due_on > local.date():
                continue
            for access in accesses.get(episode.patient_id, []):
                for channel in channels:
                    address = _address(access, channel)
                    if address and _claim(access, due_on, channel, address):
                        claimed += 1
    return claimed


def _claim(access: PortalAccess, due_on: Any, channel: str, address: str) -> bool:
    try:
        with transaction.atomic():
            DiaryReminder.objects.create(
                program_id=access.program_id,
                patient_id=access.patient_id,
                access=access,
                due_on=due_on,
                channel=channel,
                to_address=address[:254],
            )
    except IntegrityError:
        return False  # claimed already, by an earlier sweep or another worker
    return True


def reminder_words(reminder: DiaryReminder) -> tuple[str, str]:
    """(subject, body) of a diary reminder: no name, no illness, the team's number."""
    program = reminder.program
    subject = _("Time for your symptom diary")
    lines = [
        _("It is time to fill in the symptom diary for the care team."),
        _("Sign in to the portal and choose Symptom diary. It takes about two minutes."),
    ]
    if program.phone:
        lines.append(
            _("If you feel very unwell, do not wait: call the team at %(phone)s, day or night.")
            % {"phone": program.phone}
        )
    lines.append(_("In an emergency, call 911."))
    lines.append(program.name)
    return subject, "\n\n".join(lines)


def _withhold_reason(reminder: DiaryReminder) -> str:
    patient, access = reminder.patient, reminder.access
    if patient.deceased_at is not None:
        return WITHHELD_DIED
    if not EpisodeOfCare.objects.filter(
        patient_id=patient.pk, status=EpisodeOfCare.Status.ACTIVE
    ).exists():
        return WITHHELD_ENDED
    if not access.can(PortalScope.DIARY):
        return WITHHELD_ACCESS
    return ""


def _deliver(reminder: DiaryReminder) -> None:
    subject, body = reminder_words(reminder)
    if reminder.channel == DiaryReminder.Channel.EMAIL:
        EmailMessage(
            subject=subject,
            body=body,
            to=[reminder.to_address],
            from_email=settings.DEFAULT_FROM_EMAIL,
            headers={"Message-ID": f"<diary-reminder-{reminder.pk}@pallio>"},
        ).send()
    else:
        sms.sms_send(to=reminder.to_address, body=body)


def _finish(reminder: DiaryReminder, **values: Any) -> None:
    values["updated_at"] = clock.now()
    DiaryReminder.objects.filter(pk=reminder.pk).update(**values)


def reminder_send(reminder_id: Any, *, now: datetime | None = None) -> str:
    """Send one claimed reminder if no other worker has taken it; returns its status after
    ("" when it was not taken here)."""
    now = now or clock.now()
    taken = (
        DiaryReminder.objects.filter(pk=reminder_id, status__in=[Status.QUEUED, Status.FAILED])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Status.SENDING, attempts=F("attempts") + 1, updated_at=now)
    )
    if not taken:
        return ""
    reminder = DiaryReminder.objects.select_related(
        "patient", "program", "access__user", "access__patient"
    ).get(pk=reminder_id)
    reason = _withhold_reason(reminder)
    if reason:
        _finish(reminder, status=Status.WITHHELD, last_error=reason, next_attempt_at=None)
        return Status.WITHHELD
    try:
        _deliver(reminder)
    except (OSError, smtplib.SMTPException) as exc:
        tries = reminder.attempts
        retry = tries <= len(RETRY_DELAYS_MINUTES)
        _finish(
            reminder,
            status=Status.FAILED if retry else Status.GAVE_UP,
            next_attempt_at=now + timedelta(minutes=RETRY_DELAYS_MINUTES[tries - 1])
            if retry
            else None,
            last_error=f"Could not be sent ({type(exc).__name__}).",
        )
        log.warning("diary reminder %s not sent (attempt %s)", reminder.pk, tries)
        return Status.FAILED if retry else Status.GAVE_UP
    with transaction.atomic():
        _finish(reminder, status=Status.SENT, sent_at=now, last_error="", next_attempt_at=None)
        audit_record(
            actor=None,
            action=Action.EXPORT,
            event="diary_reminder.send",
            patient=reminder.patient,
            program=reminder.program,
            target=reminder,
            detail={"channel": reminder.channel, "due_on": reminder.due_on.isoformat()},
        )
    return Status.SENT


def diary_reminders_sweep(*, now: datetime | None = None) -> DiarySweepResult:
    """Claim the diary reminders due and send every one waiting; safe to run twice and from
    two workers at once."""
    now = now or clock.now()
    result = DiarySweepResult()
    DiaryReminder.objects.filter(status=Status.SENDING, updated_at__lt=now - STALE_SENDING).update(
        status=Status.UNKNOWN,
        last_error="Sending stopped part-way; not sent again, so that no one gets it twice.",
        next_attempt_at=None,
        updated_at=now,
    )
    result.claimed = reminders_claim(now=now)
    waiting = list(
        DiaryReminder.objects.filter(
            Q(status=Status.QUEUED) | Q(status=Status.FAILED, next_attempt_at__lte=now)
        )
        .order_by("due_on", "created_at")
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

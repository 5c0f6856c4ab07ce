"""The send log of symptom diary reminders: one row per portal account, due date and channel,
so that a reminder is claimed once however many sweeps run (portal/diary_reminders.py)."""

from __future__ import annotations

from django.db import models

from pallio.core.models import TimeStampedModel


class DiaryReminder(TimeStampedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, to be tried again"
        GAVE_UP = "gave_up", "Could not be sent"
        WITHHELD = "withheld", "Not sent"
        UNKNOWN = "unknown", "Not confirmed"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="diary_reminders"
    )
    access = models.ForeignKey(
        "portal.PortalAccess", on_delete=models.PROTECT, related_name="diary_reminders"
    )
    # The day the diary was due (the program's time zone): one reminder per due day.
    due_on = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to_address = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["access", "due_on", "channel"], name="one_diary_reminder_per_due_day"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"Diary reminder {self.due_on:%Y-%m-%d} ({self.get_status_display()})"

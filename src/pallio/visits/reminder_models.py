"""The send log of visit reminders (visits/reminders.py sends them).

One row per reminder: a visit, the visit time it reminds of, how many hours before, to whom
(the patient or the main caregiver) and by which channel. The row is claimed (inserted) before
anything is sent, and the database refuses a second row for the same five: two workers racing
for one reminder cannot both send it. A moved visit is a new time, so it is reminded again.
"""

from __future__ import annotations

from django.db import models

from pallio.core.models import TimeStampedModel


class VisitReminder(TimeStampedModel):
    """One reminder of one booked visit to one person by one channel."""

    class Recipient(models.TextChoices):
        PATIENT = "patient", "The patient"
        CAREGIVER = "caregiver", "The main caregiver"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent yet, will try again"
        GAVE_UP = "gave_up", "Could not be sent"
        WITHHELD = "withheld", "Not sent"
        UNKNOWN = "unknown", "Not confirmed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(
        "visits.ScheduledVisit", on_delete=models.PROTECT, related_name="reminders"
    )
    # The visit time this reminder is for: a visit moved to another time is reminded again.
    visit_starts_at = models.DateTimeField()
    hours_before = models.PositiveSmallIntegerField()
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # The address or E.164 number it goes to; pages show it masked.
    to_address = models.CharField(max_length=254)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "recipient", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "visit_starts_at", "hours_before", "recipient", "channel"],
                name="visit_reminder_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["visit", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} reminder {self.hours_before} h before"

    @property
    def masked_address(self) -> str:
        """The address as pages show it: enough to tell which, not enough to read it."""
        address = self.to_address
        if self.channel == self.Channel.EMAIL:
            local, _, domain = address.partition("@")
            return f"{local[:1]}•••@{domain}" if domain else "•••"
        return f"number ending {address[-4:]}" if len(address) >= 4 else "•••"

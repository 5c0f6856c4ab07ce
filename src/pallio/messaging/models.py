"""Secure messages between the portal (a patient or the people they chose) and the team.

A thread belongs to one patient of one program. It is routed to the patient's nurse
navigator, or to the team's inbox when the patient has none, and carries an answer-by time
while a portal message waits for the team. A thread the adolescent patient keeps
confidential is never shown to a caregiver's account.
"""

from __future__ import annotations

from django.db import models

from pallio.core import clock
from pallio.core.models import TimeStampedModel

MESSAGE_MAX_CHARS = 4000
SUBJECT_MAX_CHARS = 200


class Side(models.TextChoices):
    PORTAL = "portal", "Patient or family"
    STAFF = "staff", "Care team"


class Thread(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="message_threads"
    )
    subject = models.CharField(max_length=SUBJECT_MAX_CHARS)
    # The adolescent patient's own thread: no caregiver's account sees it.
    confidential = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    started_side = models.CharField(max_length=8, choices=Side.choices)
    # The nurse navigator when the thread was routed; empty: the team's inbox.
    routed_to = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # While a portal message waits for the team: when the team should have answered by
    # (the program's `message_answer_hours` after the first unanswered message).
    awaiting_team = models.BooleanField(default=False)
    answer_by = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [
            models.Index(fields=["program", "status", "awaiting_team", "answer_by"]),
            models.Index(fields=["routed_to", "status"]),
            models.Index(fields=["patient", "last_message_at"]),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def overdue(self, now: object) -> bool:
        return bool(self.awaiting_team and self.answer_by and self.answer_by < now)  # type: ignore[operator]


class Message(TimeStampedModel):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    author_side = models.CharField(max_length=8, choices=Side.choices)
    body = models.TextField(max_length=MESSAGE_MAX_CHARS)
    # What the emergency wording rules found (messaging/data/emergency_rules.json): the
    # families' keys, empty when none.
    emergency = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"Message in {self.thread_id}"


class MessageAttachment(TimeStampedModel):
    """A file sent with a message: checked by its content, stored outside the web root and
    served only through an access-checked view."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="messages/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name


class MessageRead(models.Model):
    """A read receipt: who read a message, from which side, and when (first time only)."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="reads")
    reader = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reader_side = models.CharField(max_length=8, choices=Side.choices)
    read_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["read_at"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reader"], name="one_read_per_reader")
        ]

    def __str__(self) -> str:
        return f"Read {self.message_id}"

"""Hospital events received as HL7 v2 ADT messages, kept whatever became of them.

Every message received is stored with its raw text, so that one the listener could not
apply (no patient matched, more than one patient could be meant, an error) waits in the
review queue for a coordinator, who matches it to a patient and applies it, or dismisses it
with a reason. A message never creates a patient.
"""

from __future__ import annotations

from django.db import models

from pallio.core.models import VersionedModel

from .hl7v2 import TRIGGERS


class AdtStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    UNMATCHED = "unmatched", "Waiting for a patient match"
    ERROR = "error", "Could not be applied"
    DUPLICATE = "duplicate", "Repeat of a message already received"
    DISMISSED = "dismissed", "Dismissed"


# The statuses a coordinator still has to act on.
OPEN_STATUSES = (AdtStatus.UNMATCHED, AdtStatus.ERROR)

# A message is kept whole up to this size; the listener refuses anything larger.
MAX_MESSAGE_BYTES = 64 * 1024


class AdtMessage(VersionedModel):
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="adt_messages"
    )
    received_at = models.DateTimeField()
    # MSH-10, unique per sending system (MSH-3 application ^ MSH-4 facility).
    control_id = models.CharField(max_length=64, blank=True)
    sender = models.CharField(max_length=130, blank=True)
    trigger = models.CharField(max_length=24, blank=True)
    raw = models.TextField()
    status = models.CharField(max_length=10, choices=AdtStatus.choices)
    # What was wrong, in plain words (also sent back in the acknowledgement).
    error = models.TextField(blank=True)
    # What was done, in plain words ("Admitted to 5 West, Mercy General").
    outcome = models.TextField(blank=True)
    # The person as the message names them, for the queue (the message may not be about any
    # patient of the program).
    person_name = models.CharField(max_length=210, blank=True)
    person_birth_date = models.DateField(null=True, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adt_messages",
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["program", "status", "received_at"]),
            models.Index(fields=["program", "received_at"]),
            # The repeat check on every message received.
            models.Index(fields=["program", "control_id"]),
        ]
        constraints = [
            # A control id is applied once: a repeat is stored as a duplicate of the first.
            models.UniqueConstraint(
                fields=["program", "sender", "control_id"],
                condition=~models.Q(status="duplicate") & ~models.Q(control_id=""),
                name="adt_message_control_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"ADT {self.trigger} {self.control_id}"

    @property
    def trigger_words(self) -> str:
        if not self.trigger:
            return "Unreadable message"
        return TRIGGERS.get(self.trigger, f"Not an accepted event ({self.trigger})")

    @property
    def sender_words(self) -> str:
        """The sending application and facility (MSH-3, MSH-4): "EPIC at MERCY"."""
        application, _, facility = self.sender.partition("^")
        return " at ".join(p for p in (application, facility) if p)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

"""Tasks for the team: the first contact after enrollment, alerts' follow-ups, and more."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import VersionedModel


class TaskKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", "First contact"
    FOLLOW_UP = "follow_up", "Follow-up"
    BREAK_GLASS_REVIEW = "break_glass_review", "Review emergency access"
    ALERT_FOLLOW_UP = "alert_follow_up", "Alert follow-up"


class Task(VersionedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="tasks")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="tasks")
    episode = models.ForeignKey(
        "episodes.EpisodeOfCare",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    kind = models.CharField(max_length=24, choices=TaskKind.choices)
    title = models.CharField(max_length=200)
    discipline = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    assigned_to = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    due = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due"]),
            models.Index(fields=["patient", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

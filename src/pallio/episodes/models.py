"""Enrollment (EpisodeOfCare), the care team, and break-the-glass grants."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import TimeStampedModel


class ReportingCadence(models.TextChoices):
    """How often the team expects a symptom report from the patient (CLINICAL.md section 1:
    weekly, every two weeks, or as needed)."""

    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every 2 weeks"
    NONE = "none", "None expected (as needed)"


# The days between expected reports; a cadence not listed expects none.
CADENCE_DAYS: dict[str, int] = {ReportingCadence.WEEKLY: 7, ReportingCadence.FORTNIGHTLY: 14}


class EpisodeOfCare(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        FINISHED = "finished", "Discharged"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="episodes"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="episodes"
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episode",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    first_visit_due = models.DateField()
    # When the first visit or call was documented; time to first contact runs from `start`.
    first_contact_at = models.DateTimeField(null=True, blank=True)
    reporting_cadence = models.CharField(
        max_length=12, choices=ReportingCadence.choices, default=ReportingCadence.WEEKLY
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start"]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return f"Episode {self.start:%Y-%m-%d}"

    @property
    def time_to_first_contact(self) -> timedelta | None:
        """The time from enrollment to the first documented visit or call, once there is one."""
        if self.first_contact_at is None:
            return None
        return self.first_contact_at - self.start


class CareTeamMember(TimeStampedModel):
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="team")
    # Denormalised from the episode so that the access check is a single indexed lookup.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="team_memberships"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="team_memberships"
    )
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    is_lead = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_lead", "discipline"]
        indexes = [
            models.Index(fields=["user", "active", "patient"]),
            models.Index(fields=["patient", "active"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "user"],
                condition=models.Q(active=True),
                name="careteam_one_active_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_discipline_display()})"


class BreakGlassGrant(TimeStampedModel):
    """Emergency access to a patient outside one's team: reason required, time-limited."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField(max_length=1000)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} -> {self.patient_id} until {self.expires_at:%H:%M}"

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


# --- bereavement follow-up of the family (episodes/bereavement.py) ---------------------------


class BereavementFollowUp(TimeStampedModel):
    """The family's follow-up after a patient's death: one per patient, opened with the
    death record, closed after the last planned contact or when the family declines."""

    class Status(models.TextChoices):
        OPEN = "open", "In follow-up"
        CLOSED = "closed", "Completed"
        DECLINED = "declined", "Family declined further contact"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="bereavement"
    )
    died_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The latest grief risk screen (the program's own screen: episodes/data/); earlier
    # answers stay in the history.
    risk_answers = models.JSONField(default=dict, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_high = models.BooleanField(null=True, blank=True)
    screened_at = models.DateTimeField(null=True, blank=True)
    screened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-died_at"]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return f"Bereavement follow-up ({self.get_status_display()})"


class BereavementContactKind(models.TextChoices):
    CARD = "card", "Condolence card"
    CALL = "call", "Telephone call"
    VISIT = "visit", "Visit"
    GROUP = "group", "Support group"


class BereavementOutcome(models.TextChoices):
    REACHED = "reached", "Reached the family"
    NO_ANSWER = "no_answer", "No answer"
    DECLINED = "declined", "Family declined further contact"


class BereavementContact(TimeStampedModel):
    """One planned contact with the family, and once made, what happened."""

    class Status(models.TextChoices):
        DUE = "due", "Due"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Not needed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    follow_up = models.ForeignKey(
        BereavementFollowUp, on_delete=models.PROTECT, related_name="contacts"
    )
    sequence = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)
    planned_kind = models.CharField(max_length=8, choices=BereavementContactKind.choices)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DUE)
    kind = models.CharField(max_length=8, choices=BereavementContactKind.choices, blank=True)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The family member contacted (a related person of the patient: acp.HealthcareAgent).
    caregiver = models.ForeignKey(
        "acp.HealthcareAgent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=BereavementOutcome.choices, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["follow_up", "sequence"]
        indexes = [models.Index(fields=["program", "status", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "sequence"], name="bereavement_contact_sequence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} due {self.due_on:%Y-%m-%d}"


class BereavementService(models.TextChoices):
    COUNSELLING = "counselling", "Bereavement counselling"
    SUPPORT_GROUP = "support_group", "Bereavement support group"


class BereavementReferral(TimeStampedModel):
    """A family member referred to bereavement counselling or a support group: who, when,
    and where to."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    follow_up = models.ForeignKey(
        BereavementFollowUp, on_delete=models.PROTECT, related_name="referrals"
    )
    caregiver = models.ForeignKey("acp.HealthcareAgent", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=16, choices=BereavementService.choices)
    referred_to = models.CharField(max_length=200)
    referred_on = models.DateField()
    referred_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-referred_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_service_display()} ({self.referred_on:%Y-%m-%d})"

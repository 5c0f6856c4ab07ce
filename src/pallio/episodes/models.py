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


class DischargeReason(models.TextChoices):
    """Why an episode ended (episodes/discharge.py)."""

    GOALS_MET = "goals_met", "Goals met, stable"
    MOVED_AWAY = "moved_away", "Moved away"
    HOSPICE = "hospice", "Admitted to hospice"
    DECLINED = "declined", "Declined further care"
    DEATH = "death", "Died"
    OTHER = "other", "Other reason"


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
    # Set when the episode ends (episodes/discharge.py): why, in a code and in words.
    discharge_reason = models.CharField(max_length=12, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(max_length=1000, blank=True)
    discharged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
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


class DeathPlace(models.TextChoices):
    """Where the patient died (episodes/death.py)."""

    HOME = "home", "Home"
    NURSING_HOME = "nursing_home", "Nursing home"
    HOSPITAL_WARD = "hospital_ward", "Hospital ward"
    ICU = "icu", "Intensive care unit"
    EMERGENCY = "emergency", "Emergency department"
    HOSPICE_UNIT = "hospice_unit", "Hospice inpatient unit"
    OTHER = "other", "Somewhere else"


class DeathRecord(TimeStampedModel):
    """A patient's death: when, where (against the preferred place of death recorded in
    advance care planning), who was there, and whether it was expected. One per patient,
    whether entered from the chart or made from a death reported on the 24/7 line."""

    class Source(models.TextChoices):
        CHART = "chart", "Entered on the chart"
        PHONE = "phone", "Reported on the 24/7 line"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="death_record"
    )
    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    died_at = models.DateTimeField()
    place = models.CharField(max_length=16, choices=DeathPlace.choices)
    place_detail = models.CharField(max_length=200, blank=True)
    # The preferred place of death as advance care planning held it when the death was
    # recorded ("" when never discussed), and whether the death happened there (None: unknown).
    preferred_place = models.CharField(max_length=16, blank=True)
    preferred_place_display = models.CharField(max_length=100, blank=True)
    at_preferred_place = models.BooleanField(null=True)
    present = models.CharField("who was present", max_length=300, blank=True)
    expected = models.BooleanField(null=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CHART)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-died_at"]
        indexes = [models.Index(fields=["program", "died_at"])]

    def __str__(self) -> str:
        return f"Death {self.died_at:%Y-%m-%d}"

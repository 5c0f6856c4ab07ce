"""Enrollment (EpisodeOfCare), the care team, and break-the-glass grants."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import EnteredInError, TimeStampedModel, VersionedModel


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


# --- hospital and emergency-department stays -------------------------------------------------


class StayKind(models.TextChoices):
    EMERGENCY = "emergency", "Emergency department visit"
    INPATIENT = "inpatient", "Inpatient admission"
    OBSERVATION = "observation", "Observation stay"


class StayDisposition(models.TextChoices):
    """Where the person went when the stay ended."""

    HOME = "home", "Home"
    HOME_WITH_SERVICES = "home_with_services", "Home with services"
    NURSING_FACILITY = "nursing_facility", "Nursing facility"
    HOSPICE = "hospice", "Hospice"
    DIED = "died", "Died in hospital"
    AGAINST_ADVICE = "against_advice", "Left against medical advice"
    OTHER = "other", "Other"


class StaySource(models.TextChoices):
    """How the team learned of the stay."""

    STAFF = "staff", "Recorded by staff"
    FHIR = "fhir", "Received as a FHIR Encounter"
    HL7_ADT = "hl7_adt", "Received as an HL7 ADT message"


class HospitalStay(VersionedModel, EnteredInError):
    """A hospital admission, observation stay or emergency-department visit of a patient.

    The units the person passed through are StayMovement rows, so that days in intensive care
    can be counted; ``unit`` and ``icu`` here say where the person is (or was last)."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="hospital_stays"
    )
    # The palliative care episode open when the person was admitted, if any.
    episode = models.ForeignKey(
        EpisodeOfCare,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hospital_stays",
    )
    kind = models.CharField(max_length=12, choices=StayKind.choices)
    facility = models.CharField(max_length=200)
    unit = models.CharField(max_length=100, blank=True)
    icu = models.BooleanField(default=False)
    admitted_at = models.DateTimeField()
    discharged_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    disposition = models.CharField(max_length=20, choices=StayDisposition.choices, blank=True)
    source = models.CharField(max_length=8, choices=StaySource.choices, default=StaySource.STAFF)
    # Who told the team (a daughter, the hospital's case manager...), in their words.
    informant = models.CharField(max_length=200, blank=True)
    # The hospital's visit number (HL7 PV1-19, FHIR Encounter.identifier) to match later news.
    visit_number = models.CharField(max_length=64, blank=True)
    # An inpatient admission within 30 days of leaving an earlier inpatient stay.
    is_readmission = models.BooleanField(default=False)
    intubated = models.BooleanField(default=False)
    cpr_performed = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-admitted_at"]
        indexes = [
            models.Index(fields=["patient", "entered_in_error", "admitted_at"]),
            models.Index(fields=["program", "visit_number"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharged_at__isnull=True)
                | models.Q(discharged_at__gte=models.F("admitted_at")),
                name="hospital_stay_discharge_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} from {self.admitted_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None

    @property
    def is_emergency_visit(self) -> bool:
        return self.kind == StayKind.EMERGENCY


class StayMovement(TimeStampedModel):
    """One unit of a stay, from when the person arrived there to when they left it."""

    stay = models.ForeignKey(HospitalStay, on_delete=models.PROTECT, related_name="movements")
    unit = models.CharField(max_length=100, blank=True)
    is_icu = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["stay", "started_at"])]

    def __str__(self) -> str:
        return f"{self.unit or 'Unit'} from {self.started_at:%Y-%m-%d %H:%M}"

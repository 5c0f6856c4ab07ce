"""Enrollment (EpisodeOfCare), the care team, and break-the-glass grants."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import TimeStampedModel, VersionedModel


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


class HospiceReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    ADMITTED = "admitted", "Admitted"
    DECLINED = "declined", "Declined"


# What may follow each status of a hospice referral; admitted and declined are final.
HOSPICE_NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    HospiceReferralStatus.SENT: (
        HospiceReferralStatus.ACCEPTED,
        HospiceReferralStatus.ADMITTED,
        HospiceReferralStatus.DECLINED,
    ),
    HospiceReferralStatus.ACCEPTED: (
        HospiceReferralStatus.ADMITTED,
        HospiceReferralStatus.DECLINED,
    ),
    HospiceReferralStatus.ADMITTED: (),
    HospiceReferralStatus.DECLINED: (),
}


class HospiceReferral(VersionedModel):
    """A referral of an enrolled patient to a hospice agency, with the hand-off package sent
    and its status (sent, accepted, admitted, declined with a reason). The agency is a name
    typed by the team until the program keeps a directory of organizations."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="hospice_referrals"
    )
    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.PROTECT, related_name="hospice_referrals"
    )
    agency_name = models.CharField(max_length=200)
    agency_phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=10, choices=HospiceReferralStatus.choices, default=HospiceReferralStatus.SENT
    )
    referred_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    referred_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The day of the latest status (accepted, admitted or declined) and why it was declined.
    status_on = models.DateField()
    admitted_on = models.DateField(null=True, blank=True)
    declined_reason = models.CharField(max_length=500, blank=True)
    # The hand-off package as it was sent: what the PDF prints and the FHIR R4 Bundle.
    package = models.JSONField(default=dict)
    package_bundle = models.JSONField(default=dict)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-referred_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "-referred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status_on__gte=models.F("referred_on")),
                name="hospice_referral_status_not_before_referral",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declined") | ~models.Q(declined_reason=""),
                name="hospice_referral_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Hospice referral to {self.agency_name} ({self.referred_on:%Y-%m-%d})"

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return HOSPICE_NEXT_STATUSES.get(self.status, ())

    @property
    def is_open(self) -> bool:
        return self.status in (HospiceReferralStatus.SENT, HospiceReferralStatus.ACCEPTED)


class HospiceReferralEvent(TimeStampedModel):
    """One step of a hospice referral: who recorded which status, for which day, when."""

    referral = models.ForeignKey(HospiceReferral, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=10, choices=HospiceReferralStatus.choices)
    occurred_on = models.DateField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.occurred_on:%Y-%m-%d}"

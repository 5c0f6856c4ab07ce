"""Enrollment (EpisodeOfCare), the care team and its lead changes, and break-the-glass
grants."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import EnteredInError, TimeStampedModel, VersionedModel
from pallio.episodes.choices import (
    CADENCE_DAYS,
    HOSPICE_NEXT_STATUSES,
    BereavementContactKind,
    BereavementOutcome,
    BereavementService,
    DeathPlace,
    DischargeReason,
    HospiceReferralStatus,
    PackageDelivery,
    ReportingCadence,
    StayDisposition,
    StayKind,
    StayReviewReason,
    StaySource,
)


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
    # A membership is never deleted: it ends, and keeps who added it, who ended it and when
    # (the care-team history on the chart). The start is `created_at`.
    added_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(active=True, is_lead=True),
                name="careteam_one_active_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_discipline_display()})"


class CareTeamLeadChange(TimeStampedModel):
    """The lead of an episode's care team changed: who made the change, when, and from whom
    to whom (`from_user` is empty when the team had no lead)."""

    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.PROTECT, related_name="lead_changes"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "created_at"])]

    def __str__(self) -> str:
        return f"Lead {self.from_user_id} -> {self.to_user_id}"


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


class StayReview(TimeStampedModel):
    """Care in hospital that differed from what the person had said they wanted. Not a
    finding of fault: a prompt for the team to talk it over (how it came about, what the
    person and family need now, whether the plan or the orders need another conversation),
    and a record of who did and what they concluded."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="stay_reviews"
    )
    stay = models.ForeignKey(HospitalStay, on_delete=models.PROTECT, related_name="reviews")
    reason = models.CharField(max_length=16, choices=StayReviewReason.choices)
    # What the record said the person wanted, in plain words, as it stood when raised.
    wishes = models.CharField(max_length=500)
    raised_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["program", "reviewed_at", "raised_at"])]
        constraints = [
            models.UniqueConstraint(fields=["stay", "reason"], name="stay_review_once_per_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.stay})"

    @property
    def is_open(self) -> bool:
        return self.reviewed_at is None


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
    # Where the package is emailed (PDF and FHIR Bundle attached, by the background worker),
    # and how that went; no address: the team hands it over another way (fax, portal).
    agency_email = models.EmailField(blank=True)
    package_delivery = models.CharField(
        max_length=8, choices=PackageDelivery.choices, default=PackageDelivery.NOT_EMAILED
    )
    package_attempts = models.PositiveSmallIntegerField(default=0)
    package_error = models.CharField(max_length=300, blank=True)
    package_sent_at = models.DateTimeField(null=True, blank=True)
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


__all__ = [
    "CADENCE_DAYS",
    "HOSPICE_NEXT_STATUSES",
    "BereavementContact",
    "BereavementContactKind",
    "BereavementFollowUp",
    "BereavementOutcome",
    "BereavementReferral",
    "BereavementService",
    "BreakGlassGrant",
    "CareTeamLeadChange",
    "CareTeamMember",
    "DeathPlace",
    "DeathRecord",
    "DischargeReason",
    "EpisodeOfCare",
    "HospiceReferral",
    "HospiceReferralEvent",
    "HospiceReferralStatus",
    "HospitalStay",
    "PackageDelivery",
    "ReportingCadence",
    "StayDisposition",
    "StayKind",
    "StayMovement",
    "StayReview",
    "StayReviewReason",
    "StaySource",
]

"""Referrals: how a patient reaches the program, and the coordinator's decision on it."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.models import TimeStampedModel, VersionedModel
from pallio.patients.models import AdministrativeSex, AuthorizationStatus, PayerType, Residence


class Source(models.TextChoices):
    PROVIDER = "provider", "Provider"
    HEALTH_PLAN = "health_plan", "Health plan"
    SELF = "self", "Patient (self-referral)"
    FAMILY = "family", "Family member"
    PHONE = "phone", "Phone (entered by staff)"
    API = "api", "API"


class Urgency(models.TextChoices):
    # Ordered by medical need: the queue sorts on `urgency_rank`.
    URGENT = "urgent", "Urgent (same or next day)"
    SOON = "soon", "Soon (within days)"
    ROUTINE = "routine", "Routine"


URGENCY_RANK = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.ROUTINE: 2}


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    ON_HOLD = "on_hold", "On hold - awaiting information"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REDIRECTED = "redirected", "Redirected"


OPEN_STATUSES = (Status.NEW, Status.IN_REVIEW, Status.ON_HOLD)


class Reason(models.TextChoices):
    SYMPTOMS = "symptoms", "Symptom management"
    GOALS_OF_CARE = "goals_of_care", "Goals of care / advance care planning"
    PSYCHOSOCIAL = "psychosocial", "Psychosocial or spiritual support"
    CAREGIVER_STRAIN = "caregiver_strain", "Caregiver strain"
    HOSPICE_DISCUSSION = "hospice_discussion", "Hospice discussion"


class Setting(models.TextChoices):
    HOSPITAL = "hospital", "Hospital (inpatient consult)"
    CLINIC = "clinic", "Outpatient clinic / cancer center"
    HOME = "home", "Home (including nursing home or assisted living)"
    TELEHEALTH = "telehealth", "Video visit"
    NO_PREFERENCE = "no_preference", "No preference"


class DeclineReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Does not meet eligibility criteria"
    OUTSIDE_AREA = "outside_area", "Outside the service area"
    PATIENT_DECLINED = "patient_declined", "Patient or family declined"
    NO_CONTACT = "no_contact", "Could not reach the patient"
    DECEASED = "deceased", "Patient died before contact"
    DUPLICATE = "duplicate", "Duplicate referral"
    OTHER = "other", "Other"


class Referral(VersionedModel):
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="referrals"
    )
    reference = models.CharField(max_length=20, unique=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    urgency_rank = models.PositiveSmallIntegerField(default=2)
    received_at = models.DateTimeField()
    first_contact_due = models.DateField()
    advanced_cancer_deadline = models.DateField(null=True, blank=True)

    # The patient as referred; linked to a Patient record at triage.
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(
        max_length=10, choices=AdministrativeSex.choices, default=AdministrativeSex.UNKNOWN
    )
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    residence = models.CharField(max_length=24, choices=Residence.choices, default=Residence.HOME)

    diagnosis_system = models.CharField(max_length=100)
    diagnosis_code = models.CharField(max_length=32)
    diagnosis_display = models.CharField(max_length=300)
    diagnosis_date = models.DateField(null=True, blank=True)
    advanced_illness = models.BooleanField(default=False)
    reasons = models.JSONField(default=list)
    preferred_setting = models.CharField(
        max_length=16, choices=Setting.choices, default=Setting.NO_PREFERENCE
    )
    clinical_summary = models.TextField(blank=True, max_length=4000)

    payer_type = models.CharField(max_length=24, choices=PayerType.choices, blank=True)
    payer_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=60, blank=True)
    authorization = models.CharField(
        max_length=16, choices=AuthorizationStatus.choices, default=AuthorizationStatus.NOT_NEEDED
    )
    authorization_number = models.CharField(max_length=60, blank=True)

    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_organization = models.CharField(max_length=200, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=32, blank=True)
    referrer_relationship = models.CharField(
        max_length=60, blank=True, help_text="for family referrals"
    )
    consent_to_contact = models.BooleanField(default=False)

    eligible = models.BooleanField(null=True, blank=True)
    eligibility_note = models.CharField(max_length=300, blank=True)
    decision_reason = models.CharField(max_length=24, choices=DeclineReason.choices, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)
    redirected_to = models.CharField(max_length=200, blank=True)
    information_requested = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    idempotency_key = models.CharField(max_length=100, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords(excluded_fields=["request_fingerprint"])

    class Meta:
        ordering = ["urgency_rank", "received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="referral_idempotency_unique",
            ),
        ]
        indexes = [
            # The queue's default order, for open referrals and for all of them.
            models.Index(
                fields=["program", "urgency_rank", "received_at", "id"],
                condition=models.Q(status__in=["new", "in_review", "on_hold"]),
                name="referral_open_queue_idx",
            ),
            models.Index(
                fields=["program", "first_contact_due"],
                condition=models.Q(status__in=["new", "in_review", "on_hold"]),
                name="referral_open_due_idx",
            ),
            models.Index(
                fields=["program", "urgency_rank", "received_at", "id"], name="referral_queue_idx"
            ),
            models.Index(fields=["program", "status", "urgency_rank", "received_at"]),
            models.Index(fields=["program", "source"]),
            models.Index(fields=["program", "preferred_setting"]),
            models.Index(fields=["program", "urgency"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def patient_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def get_reasons_display(self) -> list[str]:
        labels = dict(Reason.choices)
        return [str(labels.get(code, code)) for code in self.reasons]


class Attachment(TimeStampedModel):
    """A document sent with a referral; stored outside the web root, served by a checked view."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="referrals/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name


class Letter(TimeStampedModel):
    """A letter or email to the referrer: acknowledgement, decision, request for information.

    Sent by the background worker; `sent_at` makes sending idempotent.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", "Referral received"
        ACCEPTED = "accepted", "Referral accepted"
        DECLINED = "declined", "Referral declined"
        REDIRECTED = "redirected", "Referral redirected"
        INFO_REQUEST = "info_request", "Information requested"
        # The final summary when the patient leaves the program (episodes/discharge.py).
        DISCHARGED = "discharged", "Discharge summary"

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    to_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.subject


class ReferralMedication(TimeStampedModel):
    """One medication as the referrer listed it, word for word. It reaches the patient's
    medication list only when a clinician reconciles it (never imported silently)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="medications")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "position"], name="referral_medication_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def decision(self) -> MedicationReconciliation | None:
        """The reconciliation decision, or None while it is still to reconcile."""
        try:
            return self.reconciliation
        except MedicationReconciliation.DoesNotExist:
            return None


class ReconciliationDecision(models.TextChoices):
    ADDED = "added", "Added to the medication list"
    DECLINED = "declined", "Not taking / skipped"


class MedicationReconciliation(TimeStampedModel):
    """A clinician's decision on one medication the referrer listed: added to the list (with
    the medication it became) or declined with a reason. One decision per listed medication."""

    referral_medication = models.OneToOneField(
        ReferralMedication, on_delete=models.PROTECT, related_name="reconciliation"
    )
    decision = models.CharField(max_length=10, choices=ReconciliationDecision.choices)
    reason = models.CharField(max_length=300, blank=True)
    medication = models.ForeignKey(
        "medications.MedicationStatement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(decision="added", medication__isnull=False)
                    | models.Q(decision="declined", medication__isnull=True) & ~models.Q(reason="")
                ),
                name="reconciliation_added_has_medication_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referral_medication}: {self.get_decision_display()}"

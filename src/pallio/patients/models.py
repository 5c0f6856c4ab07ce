"""The patient, their diagnoses and their insurance. Every row belongs to a program."""

from __future__ import annotations

from datetime import date

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.models import TimeStampedModel, VersionedModel


class AdministrativeSex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Residence(models.TextChoices):
    HOME = "home", "Private home"
    NURSING_HOME = "nursing_home", "Nursing home"
    ASSISTED_LIVING = "assisted_living", "Assisted living"
    RETIREMENT_COMMUNITY = "retirement_community", "Retirement community"
    HOSPITAL = "hospital", "In hospital"
    OTHER = "other", "Other"


class PayerType(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    PRIVATE = "private", "Private insurance"
    VA = "va", "VA / TRICARE"
    SELF_PAY = "self_pay", "Self-pay / uninsured"
    OTHER = "other", "Other"


class AuthorizationStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    NEEDED = "needed", "Needed"
    REQUESTED = "requested", "Requested"
    OBTAINED = "obtained", "Obtained"
    DENIED = "denied", "Denied"


class Patient(VersionedModel):
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField("record number", max_length=32)
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
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
    language = models.CharField(max_length=40, blank=True, default="English")
    deceased_at = models.DateTimeField(null=True, blank=True)
    # The patient's primary care clinician, who receives visit summaries.
    primary_care_name = models.CharField("primary care clinician", max_length=200, blank=True)
    primary_care_email = models.EmailField("primary care clinician's email", blank=True)
    entered_in_error = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "mrn"], name="patient_mrn_unique"),
        ]
        indexes = [
            models.Index(fields=["program", "family_name", "given_name"]),
            models.Index(fields=["program", "birth_date"]),
            models.Index(fields=["program", "phone"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, when: date) -> int:
        born = self.birth_date
        return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


class Condition(TimeStampedModel):
    """A coded diagnosis (ICD-10-CM or SNOMED CT)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conditions")
    system = models.CharField(max_length=100)
    code = models.CharField(max_length=32)
    display = models.CharField(max_length=300)
    onset_date = models.DateField(null=True, blank=True)
    advanced = models.BooleanField(default=False, help_text="advanced / metastatic disease")
    stage = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)
    entered_in_error = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "display"]
        indexes = [models.Index(fields=["system", "code"])]

    def __str__(self) -> str:
        return self.display


class Coverage(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer_type = models.CharField(max_length=24, choices=PayerType.choices)
    payer_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=60, blank=True)
    authorization = models.CharField(
        max_length=16, choices=AuthorizationStatus.choices, default=AuthorizationStatus.NOT_NEEDED
    )
    authorization_number = models.CharField(max_length=60, blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-active", "payer_type"]

    def __str__(self) -> str:
        return self.get_payer_type_display()

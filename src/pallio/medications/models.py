"""The medication list (MedicationStatement): what the patient takes, with opioid awareness."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.models import VersionedModel


class MedicationStatement(VersionedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medications"
    )
    catalog_key = models.SlugField(max_length=60, blank=True)
    code_system = models.CharField(max_length=100)
    code = models.CharField(max_length=60)
    display = models.CharField(max_length=200)
    is_opioid = models.BooleanField(default=False)
    is_bowel_regimen = models.BooleanField(default=False)
    # The opioid ingredient the name was recognised as (data/opioid_ingredients.json).
    ingredient = models.SlugField(max_length=60, blank=True)
    # Neither in the catalogue nor recognised as an opioid: a pharmacist should look at it.
    needs_pharmacist_review = models.BooleanField(default=False)
    # A pharmacist (or prescriber) looked at the flagged medication: it leaves the review list.
    reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    dose_amount = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    dose_unit = models.CharField(max_length=16, blank=True)
    doses_per_day = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    as_needed = models.BooleanField(default=False)
    route = models.CharField(max_length=40, blank=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    note = models.CharField(max_length=500, blank=True)
    # Why a dose above the plausible maximum (dose_limits.json) was recorded, as confirmed.
    high_dose_reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_opioid", "display"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return self.display


class Allergy(VersionedModel):
    """An allergy or intolerance (FHIR AllergyIntolerance), or the statement that the patient
    has no known allergies: a record without a substance. Kept with its history; a wrong
    entry is marked entered in error with the reason, never deleted."""

    class Category(models.TextChoices):
        MEDICATION = "medication", "Medication"
        FOOD = "food", "Food"
        ENVIRONMENT = "environment", "Environment (latex, pollen, …)"
        BIOLOGIC = "biologic", "Biologic (blood products, vaccines)"

    class Criticality(models.TextChoices):
        LOW = "low", "Low risk"
        HIGH = "high", "High risk (life-threatening reaction possible)"
        UNABLE = "unable-to-assess", "Unable to assess"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "No longer applies"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="allergies"
    )
    # Blank for the "no known allergies" statement.
    substance = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=12, choices=Category.choices, blank=True)
    criticality = models.CharField(max_length=16, choices=Criticality.choices, blank=True)
    reaction = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["substance"]
        indexes = [models.Index(fields=["patient", "status"])]

    @property
    def no_known_allergies(self) -> bool:
        return not self.substance

    def __str__(self) -> str:
        return self.substance or "No known allergies"

"""How often each discipline visits a patient (the cadence), and the patient's appointments
elsewhere (an oncology infusion, imaging) that a palliative visit can be put beside.

A cadence belongs to an episode of care and a discipline: weekly, every two weeks, monthly or
as needed. The next visit is due one interval after the discipline's last booked or completed
visit (or after the day the cadence was set, when there is none); a cadence is overdue when
that day has passed (services/cadence.py).

An external appointment is not the team's visit: it is an appointment of the patient at
another service (the infusion suite, radiology), entered by staff or received as a FHIR
Appointment. Pallio shows it on the patient's schedule and suggests a palliative visit the
same day at the same site when one is due that week.
"""

from __future__ import annotations

from django.db import models

from pallio.core.codes import Discipline
from pallio.core.models import TimeStampedModel, VersionedModel


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    EVERY_TWO_WEEKS = "every_2_weeks", "Every 2 weeks"
    MONTHLY = "monthly", "Monthly"
    AS_NEEDED = "as_needed", "As needed"


# Days between visits for each frequency; "as needed" has none and is never overdue.
INTERVAL_DAYS = {
    Frequency.WEEKLY: 7,
    Frequency.EVERY_TWO_WEEKS: 14,
    Frequency.MONTHLY: 30,
}


class VisitCadence(TimeStampedModel):
    """How often one discipline visits the patient during one episode of care."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="visit_cadences"
    )
    episode = models.ForeignKey(
        "episodes.EpisodeOfCare", on_delete=models.PROTECT, related_name="visit_cadences"
    )
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    # The day the cadence was set: the first visit is due one interval after it when the
    # discipline has no visit yet.
    since = models.DateField()
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["discipline"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "discipline"], name="visit_cadence_one_per_discipline"
            ),
        ]
        indexes = [models.Index(fields=["program", "frequency", "discipline"])]

    def __str__(self) -> str:
        return f"{self.get_discipline_display()}: {self.get_frequency_display()}"

    @property
    def interval_days(self) -> int | None:
        return INTERVAL_DAYS.get(Frequency(self.frequency))


class AppointmentKind(models.TextChoices):
    INFUSION = "infusion", "Oncology infusion"
    IMAGING = "imaging", "Imaging"
    OTHER = "other", "Other appointment"


class ExternalAppointment(VersionedModel):
    """The patient's appointment at another service: where (one of the program's facilities
    or a site named in words), when, and who told Pallio (staff or a FHIR Appointment)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        STAFF = "staff", "Entered by staff"
        FHIR = "fhir", "Received as a FHIR Appointment"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="external_appointments"
    )
    kind = models.CharField(max_length=10, choices=AppointmentKind.choices)
    place = models.ForeignKey(
        "visits.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site = models.CharField("Site", max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.STAFF)
    # The sending system's identifier of the appointment (FHIR Appointment.identifier).
    identifier = models.CharField(max_length=64, blank=True)
    entered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["program", "status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="external_appointment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def site_name(self) -> str:
        return self.place.name if self.place_id and self.place else self.site

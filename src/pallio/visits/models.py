"""Visits, their signed notes, and the summaries sent after them.

A visit (an Encounter) happened in a setting and a mode. Each is documented in a note written
from its discipline's template: a draft, then signed and immutable. Corrections are addenda;
a wrong note is marked entered-in-error with a reason. A trainee's note needs a supervisor's
co-signature. Every signed visit produces a summary in two forms (a clinical letter and a
plain-language summary) from the same data, delivered by the background worker.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import EnteredInError, TimeStampedModel, VersionedModel


class Setting(models.TextChoices):
    """Where the patient was (CLINICAL.md section 1)."""

    HOSPITAL = "hospital", "Hospital"
    EMERGENCY = "emergency", "Emergency department"
    CANCER_CENTER = "cancer_center", "Cancer center"
    CLINIC = "clinic", "Outpatient clinic"
    HOME = "home", "Home"
    NURSING_HOME = "nursing_home", "Nursing home"
    ASSISTED_LIVING = "assisted_living", "Assisted living"
    RETIREMENT_COMMUNITY = "retirement_community", "Retirement community"
    TELEHEALTH = "telehealth", "Video (telehealth)"


# Places that belong to a patient and carry an address (and access notes for the visitor).
HOME_SETTINGS = frozenset(
    {
        Setting.HOME,
        Setting.NURSING_HOME,
        Setting.ASSISTED_LIVING,
        Setting.RETIREMENT_COMMUNITY,
    }
)
# Places of the program: the inpatient unit (a room is given per visit), the emergency
# department, the cancer center and the clinic.
FACILITY_SETTINGS = frozenset(
    {Setting.HOSPITAL, Setting.EMERGENCY, Setting.CANCER_CENTER, Setting.CLINIC}
)


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEPHONE = "telephone", "Telephone"
    VIDEO = "video", "Video"


class Visit(TimeStampedModel, EnteredInError):
    """A contact with the patient: a visit in person, by telephone or by video."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="visits")
    episode = models.ForeignKey(
        "episodes.EpisodeOfCare", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    setting = models.CharField(max_length=20, choices=Setting.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    started_at = models.DateTimeField()
    reason = models.CharField("Reason for visit", max_length=300)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["patient", "started_at"]),
            models.Index(fields=["program", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} visit {self.started_at:%Y-%m-%d}"


class NoteTemplate(TimeStampedModel):
    """A note template for a discipline. Shipped templates have no program; a program's own
    template with the same key replaces the shipped one for that program."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=120)
    # The disciplines that write with it: ["nurse", "nurse_navigator"].
    disciplines = models.JSONField(default=list)
    # [{"key": "subjective", "label": "What the patient and family said", "required": true,
    #   "help": "..."}, ...]
    sections = models.JSONField(default=list)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "key"], name="note_template_key_per_program"
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(program__isnull=True),
                name="note_template_shipped_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VisitNote(VersionedModel, EnteredInError):
    """The note of a visit: draft, then signed and immutable; a trainee's needs co-signing."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_COSIGN = "awaiting_cosign", "Signed, awaiting co-signature"
        SIGNED = "signed", "Signed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="visit_notes"
    )
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="notes")
    template = models.ForeignKey(NoteTemplate, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # {section key: text}, in the template's sections.
    content = models.JSONField(default=dict)
    # The instruments done in the visit.
    symptom_reports = models.ManyToManyField(
        "assessments.SymptomReport", related_name="+", blank=True
    )
    phase_of_care = models.ForeignKey(
        "assessments.PhaseOfCare", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The plan changes made in the visit: [{"kind": "goal", "id": "...", "summary": "..."}].
    plan_changes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A trainee's note names the supervisor who must co-sign it.
    cosign_required = models.BooleanField(default=False)
    supervisor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patient", "status", "created_at"]),
            models.Index(fields=["author", "status"]),
            models.Index(fields=["supervisor", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.template} {self.created_at:%Y-%m-%d}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class NoteAddendum(TimeStampedModel):
    """A correction or later addition to a signed note; the note stays as it was signed."""

    note = models.ForeignKey(VisitNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["created_at"]


class VisitSummary(TimeStampedModel):
    """What a signed visit produced for the people outside the team, from one set of data.

    ``content`` is the data both forms are rendered from, fixed at the moment of signing so
    that a letter sent again reads the same."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="visit_summaries"
    )
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="summary")
    note = models.ForeignKey(VisitNote, on_delete=models.PROTECT, related_name="+")
    content = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Visit summary {self.created_at:%Y-%m-%d}"


class SummaryDelivery(TimeStampedModel):
    """One summary to one recipient, sent by the worker, retried on failure."""

    class Audience(models.TextChoices):
        REFERRER = "referrer", "Referring clinician"
        PRIMARY_CARE = "primary_care", "Primary care doctor"
        PATIENT = "patient", "Patient and caregiver"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Never sent, and never will be: the patient died before it went (episodes/death.py).
        WITHHELD = "withheld", "Not sent"

    summary = models.ForeignKey(VisitSummary, on_delete=models.PROTECT, related_name="deliveries")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    recipient_name = models.CharField(max_length=200, blank=True)
    to_email = models.EmailField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["audience"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_audience_display()}: {self.get_status_display()}"


class Place(TimeStampedModel):
    """Where a scheduled visit happens. A home-type place (home, nursing home, assisted living,
    retirement community) belongs to one patient and carries an address, its geocode and the
    access notes for the visiting clinician; a facility (inpatient unit, emergency department,
    cancer center, clinic) belongs to the program."""

    class GeocodeSource(models.TextChoices):
        NONE = "", "Not placed on the map"
        ENTERED = "entered", "Entered by staff"
        GAZETTEER = "gazetteer", "Found in the program's gazetteer"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
    )
    setting = models.CharField(max_length=20, choices=Setting.choices)
    name = models.CharField(max_length=120)
    line = models.CharField("Street address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    geocode_source = models.CharField(
        max_length=10, choices=GeocodeSource.choices, default="", blank=True
    )
    # Door code, pets, parking: shown only to the clinician booked on a visit here, and every
    # display is audited (selectors.access_notes_for).
    access_notes = models.TextField(max_length=1000, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["program", "setting", "active"]),
            models.Index(fields=["patient", "active"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_home(self) -> bool:
        return self.setting in HOME_SETTINGS

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.line, self.city, self.postal_code) if part)


class VisitKind(models.TextChoices):
    FIRST = "first", "First visit"
    FOLLOW_UP = "follow_up", "Follow-up visit"
    SYMPTOM = "symptom", "Symptom visit"
    FAMILY_MEETING = "family_meeting", "Family meeting"
    ADVANCE_CARE_PLANNING = "acp", "Advance care planning"


class Priority(models.TextChoices):
    """As triage set it (the referral's urgency): urgent visits come first on every list."""

    URGENT = "urgent", "Urgent"
    SOON = "soon", "Soon"
    ROUTINE = "routine", "Routine"


PRIORITY_ORDER = {Priority.URGENT: 0, Priority.SOON: 1, Priority.ROUTINE: 2}


class ScheduledVisit(VersionedModel):
    """A visit booked ahead: a patient, a clinician, a place (or a video link), a start and an
    end. Booked, then completed, cancelled (with a reason) or missed (no-show). The
    documented encounter is a Visit; a scheduled visit is the appointment for it.

    A clinician cannot be in two places at once: on PostgreSQL an exclusion constraint over
    the clinician and the time range of booked and completed visits (migration 0004); on
    SQLite the same check in the service (services/scheduling.py)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "Patient not seen (no-show)"

    # The statuses that hold the clinician's time.
    ACTIVE_STATUSES = ("booked", "completed")

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="scheduled_visits"
    )
    clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="scheduled_visits"
    )
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    kind = models.CharField(max_length=20, choices=VisitKind.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    setting = models.CharField(max_length=20, choices=Setting.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="scheduled_visits"
    )
    room = models.CharField(max_length=40, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # A video visit's join link, built from the program's video_url_template when booked.
    join_url = models.URLField(max_length=500, blank=True)
    note = models.CharField("Note for the team", max_length=300, blank=True)
    # The home-visit day plan (services/day_plan.py): when the patient is available for the
    # visit to begin, in the program's local time on the visit's day (empty: any time of the
    # working day), and whether the clinician fixed its time so a new plan keeps it.
    available_from = models.TimeField("Patient available from", null=True, blank=True)
    available_until = models.TimeField("Patient available until", null=True, blank=True)
    time_locked = models.BooleanField("Time locked", default=False)
    booked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinician", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["program", "starts_at"]),
            # The last visit of each discipline, for the cadence (cadence_models.py).
            models.Index(fields=["patient", "discipline", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="scheduled_visit_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_urgent(self) -> bool:
        return self.priority == Priority.URGENT

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class CalendarFeed(models.Model):
    """A clinician's calendar feed: the secret address a calendar app subscribes to.

    Only a SHA-256 hash of the secret is kept: the address is shown once, when the feed is
    made, and cannot be recovered afterwards. One active feed per clinician; making a new one
    revokes the old, and a revoked feed's address no longer answers."""

    clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinician"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_active_per_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.created_at:%Y-%m-%d}"


from pallio.visits.cadence_models import ExternalAppointment, VisitCadence  # noqa: E402, F401
from pallio.visits.reminder_models import VisitReminder  # noqa: E402, F401

"""Instruments, symptom reports, alert rules and alerts, phases of care, and the
comprehensive assessment."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import Discipline
from pallio.core.models import TimeStampedModel, VersionedModel


class Instrument(TimeStampedModel):
    """A FHIR Questionnaire with its scoring and licence. ``program`` is empty for the ones
    shipped with Pallio (loaded on migrate); a program's own uploads carry the program."""

    class Source(models.TextChoices):
        SHIPPED = "shipped", "Shipped with Pallio"
        UPLOADED = "uploaded", "Uploaded by the program"

    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instruments",
    )
    key = models.SlugField(max_length=60)
    url = models.URLField(max_length=300)
    version = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=200)
    questionnaire = models.JSONField()
    licence_terms = models.CharField(max_length=40)
    citation = models.TextField()
    source = models.CharField(max_length=10, choices=Source.choices)
    active = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(program__isnull=True), name="instrument_key"
            ),
            models.UniqueConstraint(
                fields=["program", "key"],
                condition=models.Q(program__isnull=False),
                name="instrument_program_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Respondent(models.TextChoices):
    """Who answered (ESAS-r records who completed it, CLINICAL.md section 2)."""

    PATIENT = "patient", "Patient"
    CAREGIVER = "caregiver", "Family caregiver"
    PROFESSIONAL_CAREGIVER = "professional_caregiver", "Professional caregiver"
    CLINICIAN = "clinician", "Clinician"
    WITH_HELP = "with_help", "Patient, with help"


class Channel(models.TextChoices):
    VISIT = "visit", "At a visit"
    CALL = "call", "On a call"
    PORTAL = "portal", "Patient or caregiver portal"
    API = "api", "API"


class SymptomReport(TimeStampedModel):
    """One completed instrument (a QuestionnaireResponse) with its scores.

    ``evaluated_at`` is set in the same transaction that raises the report's alerts, so a
    report without it has not been evaluated, whatever happened to the worker.
    """

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="symptom_reports"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="symptom_reports"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="reports")
    instrument_key = models.SlugField(max_length=60)
    answers = models.JSONField()
    scores = models.JSONField(default=dict)
    primary_score = models.FloatField(null=True, blank=True)
    respondent = models.CharField(max_length=24, choices=Respondent.choices)
    respondent_name = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    answered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    entered_in_error = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=100, blank=True)
    # A report answered in part is kept and judged on what was answered; these are the
    # required items left blank (linkIds, in the instrument's order).
    partial = models.BooleanField(default=False)
    unanswered = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="symptom_report_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "instrument_key", "answered_at"]),
            models.Index(fields=["program", "evaluated_at"]),
            # The alert worker's claim: the oldest reports not judged yet.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(evaluated_at__isnull=True),
                name="symptom_report_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} {self.answered_at:%Y-%m-%d}"


class RuleKind(models.TextChoices):
    ITEM_SEVERITY = "item_severity", "An item scored in a band of a given severity"
    ITEM_SEVERITY_AT_LEAST = (
        "item_severity_at_least",
        "An item scored in a band of a given severity or worse",
    )
    ITEM_RISE = "item_rise", "An item rose by at least the threshold since the last report"
    SCALE_AT_LEAST = "scale_at_least", "A scale at or above the threshold"
    SCALE_FALL = "scale_fall", "A scale fell by at least the threshold since the last report"
    REPORT_MISSING = "report_missing", "No report for more than the threshold (days)"
    OPIOID_NO_BOWEL_REGIMEN = "opioid_no_bowel_regimen", "On an opioid with no bowel regimen"
    PHASE_UNSTABLE = (
        "phase_unstable",
        "The phase of care unstable for longer than the program allows",
    )
    HOSPITAL_ADMISSION = (
        "hospital_admission",
        "An enrolled patient arrived in hospital or the emergency department",
    )
    MESSAGE_EMERGENCY = (
        "message_emergency",
        "A message from the portal reads like an emergency",
    )


class AlertRule(TimeStampedModel):
    """A declared rule (DESIGN rule 8). Defaults (program empty) come from
    assessments/rules/default_alert_rules.json; a program overrides one by key."""

    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alert_rules",
    )
    key = models.SlugField(max_length=60)
    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    title = models.CharField(max_length=200)
    instrument_key = models.SlugField(max_length=60, blank=True)
    scale = models.CharField(max_length=60, blank=True)
    severity = models.CharField(max_length=20, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    due_hours = models.PositiveIntegerField()
    due_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Due by the end of this many calendar days after the report, in the "
        "program's time zone (0 = the same day); when set, it is used instead of due_hours.",
    )
    unless_rule = models.SlugField(
        max_length=60,
        blank=True,
        help_text="Not raised when the rule with this key fires for the same report.",
    )
    priority = models.PositiveSmallIntegerField(default=2, help_text="1 urgent, 2 soon, 3 routine")
    citation = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(program__isnull=True), name="alert_rule_key"
            ),
            models.UniqueConstraint(
                fields=["program", "key"],
                condition=models.Q(program__isnull=False),
                name="alert_rule_program_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Alert(VersionedModel):
    """One raised rule: a task for the right discipline, on the alert worklist until resolved.

    ``dedupe_key`` makes raising idempotent: a report raises each rule once (report id + rule
    key); other rules name their own occasion (the patient and the day, the medication).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    rule_key = models.SlugField(max_length=60)
    report = models.ForeignKey(
        SymptomReport, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    dedupe_key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    priority = models.PositiveSmallIntegerField(default=2)
    task = models.ForeignKey(
        "careplans.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField()
    due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(blank=True, max_length=2000)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "rule_key"],
                condition=models.Q(report__isnull=False),
                name="alert_once_per_report_and_rule",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "due_at"]),
            models.Index(fields=["patient", "status"]),
            # The discipline's queue, one arm of the worklist's "mine" (worklist._mine_ids).
            models.Index(
                fields=["program", "discipline"],
                condition=models.Q(task__isnull=False) & ~models.Q(status="resolved"),
                name="alert_open_with_task_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED


class AlertEscalation(TimeStampedModel):
    """One step of an unacknowledged alert's escalation: to the team lead, then to the
    on-call clinician. Written by the background worker; unique per (alert, step), so a
    worker that runs twice, or dies and is replaced, escalates each step once."""

    class Step(models.TextChoices):
        LEAD = "lead", "Team lead"
        ON_CALL = "on_call", "On-call clinician"

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="escalations")
    step = models.CharField(max_length=10, choices=Step.choices)
    to_user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField()

    class Meta:
        ordering = ["escalated_at"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "step"], name="alert_escalated_once_per_step")
        ]
        indexes = [models.Index(fields=["to_user", "alert"])]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.escalated_at:%Y-%m-%d %H:%M}"


class Phase(models.TextChoices):
    """PCOC phases of care (CLINICAL.md section 4); not sequential."""

    STABLE = "stable", "Stable"
    UNSTABLE = "unstable", "Unstable"
    DETERIORATING = "deteriorating", "Deteriorating"
    TERMINAL = "terminal", "Terminal"
    BEREAVED = "bereaved", "Bereaved"


class PhaseOfCare(TimeStampedModel):
    """The phase recorded at a contact. The rows of a patient are its history; the newest
    is the current phase, which began at ``started_at`` (the first row of an unbroken run)."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="phases_of_care"
    )
    phase = models.CharField(max_length=14, choices=Phase.choices)
    recorded_at = models.DateTimeField()
    phase_started_at = models.DateTimeField()
    contact = models.CharField(max_length=10, choices=Channel.choices)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["patient", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} {self.recorded_at:%Y-%m-%d}"


class Domain(models.TextChoices):
    """The domains of the comprehensive assessment (CLINICAL.md section 1, NCP guidelines)."""

    PHYSICAL = "physical", "Physical"
    PSYCHOLOGICAL = "psychological", "Psychological and psychiatric"
    SOCIAL = "social", "Social, practical and financial"
    SPIRITUAL = "spiritual", "Spiritual, religious and existential"
    CULTURAL = "cultural", "Cultural"
    CAREGIVER = "caregiver", "Caregiver"
    ETHICAL_LEGAL = "ethical_legal", "Ethical and legal"
    END_OF_LIFE = "end_of_life", "Care nearing the end of life"
    PEDIATRIC = "pediatric", "Child and family"
    YOUNG_ADULT = "young_adult", "Adolescent and young adult"


class Assessment(VersionedModel):
    """The comprehensive initial assessment: saved as a draft, then signed and immutable.
    Corrections after signing are addenda."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    started_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"Assessment {self.created_at:%Y-%m-%d} ({self.get_status_display()})"


class AssessmentSection(VersionedModel):
    """One domain of an assessment, written by the discipline that owns it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="sections")
    domain = models.CharField(max_length=16, choices=Domain.choices)
    findings = models.JSONField(default=dict)
    narrative = models.TextField(blank=True, max_length=8000)
    reports = models.ManyToManyField(SymptomReport, blank=True, related_name="+")
    completed = models.BooleanField(default=False)
    author = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["assessment", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="one_section_per_domain")
        ]

    def __str__(self) -> str:
        return self.get_domain_display()


class Addendum(TimeStampedModel):
    """A correction to a signed assessment: author, time and reason; the original stays."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="addenda")
    domain = models.CharField(max_length=16, choices=Domain.choices, blank=True)
    reason = models.CharField(max_length=300)
    text = models.TextField(max_length=4000)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Addendum {self.created_at:%Y-%m-%d}"

"""The interdisciplinary care plan, the team's tasks, and the weekly IDT meeting.

A care plan belongs to one episode. Its problems are coded by domain (CLINICAL.md section 1),
its goals are in the patient's own words with a measurable target and a review date, its
interventions are owned by a discipline, and tasks carry an owner and a due date. Nothing is
deleted: a wrong entry is marked entered-in-error, every edit keeps the prior version
(history), and a stale edit is refused with a conflict (VersionedModel).
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import PALLIO, Discipline
from pallio.core.models import EnteredInError, TimeStampedModel, VersionedModel

PROBLEM_SYSTEM = f"{PALLIO}/care-plan-problem"
# The minutes of a meeting name every patient discussed with notes and decisions: a whole
# program's agenda runs long.
MINUTES_LIMIT = 200_000


class PlanDomain(models.TextChoices):
    """The domains of the National Consensus Project guidelines (CLINICAL.md section 1)."""

    PHYSICAL = "physical", "Physical"
    PSYCHOLOGICAL = "psychological", "Psychological and psychiatric"
    SOCIAL = "social", "Social, practical and financial"
    SPIRITUAL = "spiritual", "Spiritual, religious and existential"
    CULTURAL = "cultural", "Cultural"
    END_OF_LIFE = "end_of_life", "Care nearing the end of life"
    ETHICAL_LEGAL = "ethical_legal", "Ethical and legal"
    STRUCTURE = "structure", "Structure and process of care"


class CarePlan(VersionedModel):
    """The one shared plan of an episode. ``review_due`` is when the team next reviews it."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="care_plans"
    )
    episode = models.OneToOneField(
        "episodes.EpisodeOfCare", on_delete=models.PROTECT, related_name="care_plan"
    )
    review_due = models.DateField(null=True, blank=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["program", "review_due"])]

    def __str__(self) -> str:
        return f"Care plan {self.created_at:%Y-%m-%d}"


class Problem(VersionedModel, EnteredInError):
    """A problem or need on the plan, in one domain, coded (SNOMED CT or Pallio's own)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="problems")
    domain = models.CharField(max_length=20, choices=PlanDomain.choices)
    code_system = models.CharField(max_length=200)
    code = models.CharField(max_length=40)
    display = models.CharField(max_length=200)
    detail = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["domain", "created_at"]
        indexes = [models.Index(fields=["plan", "entered_in_error", "status"])]

    def __str__(self) -> str:
        return self.display


class GoalOutcome(models.TextChoices):
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"
    NO_LONGER_RELEVANT = "no_longer_relevant", "No longer relevant"


class Goal(VersionedModel, EnteredInError):
    """A goal in the patient's own words, with a measurable target and a review date."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="goals")
    problem = models.ForeignKey(
        Problem, on_delete=models.PROTECT, null=True, blank=True, related_name="goals"
    )
    patient_words = models.TextField("In the patient's words", max_length=1000)
    target = models.CharField("Measurable target", max_length=300)
    review_date = models.DateField()
    # The goals-of-care conversation the goal came from, when it came from one.
    conversation = models.ForeignKey(
        "acp.GoalsOfCareConversation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    latest_outcome = models.CharField(max_length=20, choices=GoalOutcome.choices, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["review_date", "created_at"]
        indexes = [models.Index(fields=["plan", "entered_in_error", "status"])]

    def __str__(self) -> str:
        return self.target


class GoalReview(TimeStampedModel):
    """Progress on a goal, reviewed and recorded with who and when."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="reviews")
    outcome = models.CharField(max_length=20, choices=GoalOutcome.choices)
    comment = models.TextField(max_length=2000, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.reviewed_at:%Y-%m-%d}"


class Intervention(VersionedModel, EnteredInError):
    """What the team does about a problem, owned by one discipline."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="interventions")
    problem = models.ForeignKey(
        Problem, on_delete=models.PROTECT, null=True, blank=True, related_name="interventions"
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="interventions"
    )
    description = models.CharField(max_length=500)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["discipline", "created_at"]
        indexes = [models.Index(fields=["plan", "entered_in_error", "status"])]

    def __str__(self) -> str:
        return self.description


class TaskKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", "First contact"
    FOLLOW_UP = "follow_up", "Follow-up"
    BREAK_GLASS_REVIEW = "break_glass_review", "Review emergency access"
    ALERT_FOLLOW_UP = "alert_follow_up", "Alert follow-up"
    CARE_PLAN = "care_plan", "Care plan"
    IDT_DECISION = "idt_decision", "Team meeting decision"
    NOTE_COSIGN = "note_cosign", "Co-sign a note"


class Task(VersionedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="tasks")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="tasks")
    episode = models.ForeignKey(
        "episodes.EpisodeOfCare",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    kind = models.CharField(max_length=24, choices=TaskKind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(max_length=2000, blank=True)
    discipline = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    assigned_to = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    due = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The plan item the task carries out, when it comes from the plan.
    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Who closed it (done or cancelled), and what happened or why it was cancelled.
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(max_length=2000, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due"]),
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["program", "status", "discipline", "due"]),
            # Whether an alert's task waits on the discipline's queue (worklist._mine_ids).
            models.Index(
                fields=["id"],
                condition=models.Q(assigned_to__isnull=True),
                name="task_unassigned_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class IdtTeam(TimeStampedModel):
    """An interdisciplinary team that meets weekly to review the patients its members care for."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    members = models.ManyToManyField("accounts.User", related_name="idt_teams", blank=True)
    # 0 = Monday ... 6 = Sunday; the meeting's usual day and local time.
    weekday = models.PositiveSmallIntegerField(default=2)
    time = models.TimeField(default="13:00")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="idt_team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class IdtMeeting(VersionedModel):
    """One weekly meeting: agenda built from the record, attendance, notes, signed minutes."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SIGNED = "signed", "Minutes signed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(IdtTeam, on_delete=models.PROTECT, related_name="meetings")
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    agenda_built_at = models.DateTimeField(null=True, blank=True)
    # The start of the period the agenda covers: the previous meeting, or a week before.
    agenda_since = models.DateTimeField(null=True, blank=True)
    minutes = models.TextField(max_length=MINUTES_LIMIT, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-scheduled_for"]
        indexes = [models.Index(fields=["team", "scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.team} {self.scheduled_for:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class IdtAttendance(TimeStampedModel):
    meeting = models.ForeignKey(IdtMeeting, on_delete=models.PROTECT, related_name="attendance")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    discipline = models.CharField(max_length=32, choices=Discipline.choices)

    class Meta:
        ordering = ["discipline"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="idt_attendance_once")
        ]


class IdtAgendaItem(VersionedModel):
    """One patient on the agenda, with why they are on it and what the team said."""

    meeting = models.ForeignKey(IdtMeeting, on_delete=models.PROTECT, related_name="items")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(
        "episodes.EpisodeOfCare", on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Reason codes (careplans.agenda.REASONS) with their plain-words detail:
    # [{"code": "open_alert", "detail": "Severe pain reported Monday"}, ...]
    reasons = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    discussion = models.TextField(max_length=5000, blank=True)
    discussed_at = models.DateTimeField(null=True, blank=True)
    discussed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "patient"], name="idt_item_once")]
        indexes = [models.Index(fields=["patient", "discussed_at"])]


class IdtDecision(TimeStampedModel):
    """A decision taken on an agenda item, made into a task or a plan change in one step."""

    class Kind(models.TextChoices):
        TASK = "task", "Task"
        INTERVENTION = "intervention", "New intervention on the plan"
        GOAL = "goal", "New goal on the plan"
        NOTE = "note", "Decision noted"

    item = models.ForeignKey(IdtAgendaItem, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.CharField(max_length=500)
    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]

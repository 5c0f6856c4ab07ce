"""The 24/7 support line (CLINICAL.md section 9): the on-call roster, calls with their
protocol-guided triage and disposition, escalation of calls not called back, and reported
deaths. What the night decides reaches the day team through the morning hand-off."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.models import EnteredInError, TimeStampedModel, VersionedModel


class Line(models.TextChoices):
    """Who answers: the nurse first, a physician behind them, a backup behind both."""

    FIRST = "first", "First line (nurse)"
    SECOND = "second", "Second line (physician)"
    BACKUP = "backup", "Backup"


class RosterPattern(TimeStampedModel):
    """One slot of the program's weekly on-call pattern: who covers a line from a start time
    on a weekday for a number of hours (in the program's time zone)."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    line = models.CharField(max_length=8, choices=Line.choices)
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday ... 6 = Sunday
    start_time = models.TimeField()
    hours = models.PositiveSmallIntegerField()
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # On the program's public holidays the slot is covered by this person instead, if named.
    holiday_user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["weekday", "start_time", "line"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="roster_pattern_weekday"
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gte=1, hours__lte=24), name="roster_pattern_hours"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_line_display()} {self.weekday} {self.start_time}"


class Shift(TimeStampedModel):
    """One person covering one line for a period. Built from the pattern; swaps keep who was
    rostered first."""

    class Source(models.TextChoices):
        PATTERN = "pattern", "Weekly pattern"
        HOLIDAY = "holiday", "Holiday cover"
        SWAP = "swap", "Swap"
        MANUAL = "manual", "Added by hand"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    line = models.CharField(max_length=8, choices=Line.choices)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PATTERN)
    # A swap: who was rostered before, and why it changed.
    swapped_from = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    cancelled = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "line"]
        indexes = [
            models.Index(fields=["program", "starts_at", "ends_at"]),
            models.Index(fields=["user", "starts_at", "ends_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_line_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class CallerKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    CAREGIVER = "caregiver", "Family caregiver"
    FACILITY = "facility", "Facility staff"
    OTHER = "other", "Someone else"


class CallReason(models.TextChoices):
    """Why people call the line (CLINICAL.md section 9: symptoms, reporting a death and
    asking for a visit were the three commonest)."""

    SYMPTOM = "symptom", "A symptom"
    DEATH = "death", "Reporting a death"
    VISIT_REQUEST = "visit_request", "Asking for a visit"
    MEDICATION = "medication", "Medications or supplies"
    CAREGIVER = "caregiver", "Caregiver support"
    EQUIPMENT = "equipment", "Equipment"
    INFORMATION = "information", "Information or other"


class Disposition(models.TextChoices):
    ADVICE = "advice", "Advice given"
    MEDICATION_PER_ORDERS = "medication_per_orders", "Medication per existing orders"
    NURSE_VISIT = "nurse_visit", "Nurse visit tonight"
    PHYSICIAN_CONSULTED = "physician_consulted", "On-call physician consulted"
    EMERGENCY = "emergency", "Emergency department or 911"
    HOSPICE_NOTIFIED = "hospice_notified", "Hospice notified"
    PRONOUNCEMENT_VISIT = "pronouncement_visit", "Death pronouncement visit"


class Call(VersionedModel, EnteredInError):
    """One call to the line: who called, why, the triage, and what was decided."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    caller_kind = models.CharField(max_length=10, choices=CallerKind.choices)
    caller_name = models.CharField(max_length=200, blank=True)
    callback_number = models.CharField(max_length=32)
    received_at = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=CallReason.choices)
    story = models.TextField(max_length=4000, blank=True)
    taken_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The protocol followed (support/data/protocols/<key>.json) and what was asked:
    # {"answers": {question id: answer}, "red_flags": [flag ids hit]}.
    protocol_key = models.SlugField(max_length=60, blank=True)
    triage = models.JSONField(default=dict, blank=True)
    red_flag = models.BooleanField(default=False)
    symptom_report = models.ForeignKey(
        "assessments.SymptomReport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    called_back_at = models.DateTimeField(null=True, blank=True)
    disposition = models.CharField(max_length=24, choices=Disposition.choices, blank=True)
    disposition_at = models.DateTimeField(null=True, blank=True)
    disposition_note = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # An escalated call stands out on the on-call screen until someone acknowledges it.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["program", "received_at"]),
            models.Index(fields=["program", "status", "received_at"]),
            models.Index(fields=["patient", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"Call {self.received_at:%Y-%m-%d %H:%M}"

    @property
    def time_to_callback(self) -> timedelta | None:
        return None if self.called_back_at is None else self.called_back_at - self.received_at

    @property
    def time_to_disposition(self) -> timedelta | None:
        return None if self.disposition_at is None else self.disposition_at - self.received_at


class CallEscalation(TimeStampedModel):
    """One step of a call's escalation, sent once (the unique constraint keeps a retried or
    duplicated worker run from paging twice)."""

    class Step(models.TextChoices):
        SECOND_LINE = "second_line", "Second line paged"
        BACKUP = "backup", "Backup paged"

    class Why(models.TextChoices):
        NO_CALLBACK = "no_callback", "Not called back in time"
        RED_FLAG = "red_flag", "Red flag in triage"

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="escalations")
    step = models.CharField(max_length=12, choices=Step.choices)
    why = models.CharField(max_length=12, choices=Why.choices)
    sent_to = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)  # "email", "sms"
    last_error = models.CharField(max_length=300, blank=True)
    # Nobody covered the line paged: the page went to the program's medical director.
    nobody_on_shift = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["call", "step"], name="call_escalation_step_once")
        ]

    def __str__(self) -> str:
        return self.get_step_display()


class TriageProtocol(TimeStampedModel):
    """A program's own version of a shipped protocol (support/data/protocols/<key>.json);
    without one, the shipped file is used."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(max_length=60)
    content = models.JSONField()
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="triage_protocol_per_program")
        ]

    def __str__(self) -> str:
        return self.key


class DeathReport(TimeStampedModel):
    """An expected death reported by phone: when and where, who was there, and what the
    family needs tonight."""

    class Place(models.TextChoices):
        HOME = "home", "Home"
        NURSING_HOME = "nursing_home", "Nursing home"
        ASSISTED_LIVING = "assisted_living", "Assisted living"
        HOSPITAL = "hospital", "Hospital"
        HOSPICE = "hospice", "Hospice facility"
        OTHER = "other", "Somewhere else"

    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="death_report")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    died_at = models.DateTimeField()
    place = models.CharField(max_length=16, choices=Place.choices)
    present = models.CharField("who was present", max_length=300, blank=True)
    # What the family needs tonight: any of "pronouncement", "funeral_home", "hospice".
    needs = models.JSONField(default=list, blank=True)
    funeral_home = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-died_at"]

    def __str__(self) -> str:
        return f"Death reported {self.died_at:%Y-%m-%d %H:%M}"


class CallFollowUp(TimeStampedModel):
    """The day team's task that follows up one night call, made by the morning hand-off. One
    per call: the hand-off can be built again (or by two workers at once) without a second."""

    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="follow_up")
    task = models.OneToOneField("careplans.Task", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Follow-up of {self.call}"


class RosterGapFlag(TimeStampedModel):
    """A stretch of the coming days with a line of the roster uncovered, flagged once to the
    program's care coordinators (`pallio roster check`); closed when the gap is covered."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    line = models.CharField(max_length=8, choices=Line.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "line", "starts_at", "ends_at"], name="roster_gap_flag_once"
            )
        ]
        indexes = [models.Index(fields=["program", "resolved_at", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_line_display()} uncovered {self.starts_at:%Y-%m-%d %H:%M}"

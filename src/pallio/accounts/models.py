"""Staff accounts: each belongs to one program, with a role and a discipline."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models

from pallio.core import clock
from pallio.core.codes import Discipline


class Role(models.TextChoices):
    # Reaches only the patients whose care team they are on.
    CLINICIAN = "clinician", "Clinician (care team)"
    # Program-wide roles: reach every patient of the program (DESIGN/SECURITY access rules).
    INTAKE_COORDINATOR = "intake_coordinator", "Intake / care coordinator"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    ON_CALL = "on_call", "On-call clinician"
    # No patient access: reads the audit trail.
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    # No patient access: runs the program's settings and its staff accounts.
    PROGRAM_ADMIN = "program_admin", "Program administrator"


class AccountKind(models.TextChoices):
    """Staff work in the team's pages; portal accounts (patients and the people they choose)
    reach only the portal, and only for the patients they were invited for (portal app)."""

    STAFF = "staff", "Staff"
    PORTAL = "portal", "Patient or family (portal)"


class TrainingLevel(models.TextChoices):
    """A trainee's notes need a supervisor's co-signature (seed 002: oversight and training)."""

    NONE = "", "Not in training"
    STUDENT = "student", "Student"
    RESIDENT = "resident", "Resident"
    FELLOW = "fellow", "Fellow"


# The on-call role is not among them: it reaches every patient of the program only while on
# a shift of the roster (core/access.py).
PROGRAM_WIDE_ROLES = frozenset({Role.INTAKE_COORDINATOR, Role.MEDICAL_DIRECTOR})


class User(AbstractUser):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A portal account has no program (so every staff page refuses it) and kind "portal"
    # (so the portal refuses every staff account).
    kind = models.CharField(max_length=8, choices=AccountKind.choices, default=AccountKind.STAFF)
    # The language the person chose for their pages ("en", "es"); empty: their browser's.
    language = models.CharField(max_length=8, blank=True, default="")
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CLINICIAN)
    discipline = models.CharField(
        max_length=32, choices=Discipline.choices, default=Discipline.NURSE
    )
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. MD, RN, LCSW")
    training_level = models.CharField(
        max_length=10, choices=TrainingLevel.choices, default=TrainingLevel.NONE, blank=True
    )
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trainees",
        help_text="Co-signs a trainee's notes",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["program", "discipline"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def is_trainee(self) -> bool:
        return bool(self.training_level)

    @property
    def is_portal(self) -> bool:
        return self.kind == AccountKind.PORTAL

    @property
    def audit_role(self) -> str:
        """The role the audit trail records: a portal account has no staff role."""
        return "portal" if self.kind == AccountKind.PORTAL else self.role

    @property
    def is_program_wide(self) -> bool:
        return self.role in PROGRAM_WIDE_ROLES


class ApiToken(models.Model):
    """A staff member's personal token for the JSON API.

    Only a SHA-256 hash of the secret is kept: the secret is shown once, when the token is
    made, and cannot be recovered afterwards. A token acts with its owner's rights and ends
    with the account, at its expiry, or when revoked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="what the token is for")
    prefix = models.CharField(max_length=16, help_text="the first characters, for display")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.user.is_active


INVITATION_DAYS = 7


class Invitation(models.Model):
    """A single-use link by email to join a program's staff.

    Only a SHA-256 hash of the link's secret is kept: the secret is in the email alone. The
    link works once, until it expires or is withdrawn.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CLINICIAN)
    discipline = models.CharField(
        max_length=32, choices=Discipline.choices, default=Discipline.NURSE
    )
    training_level = models.CharField(
        max_length=10, choices=TrainingLevel.choices, default=TrainingLevel.NONE, blank=True
    )
    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["program", "used_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    def state(self, now: datetime) -> str:
        """'used', 'revoked', 'expired' or 'open'."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"


class SecondFactorReset(models.Model):
    """A request to remove a staff member's lost second factor. One program administrator
    asks, with a reason; a different one approves; only then are the authenticators removed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="second_factor_resets"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="second_factor_resets")
    reason = models.TextField(max_length=1000)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now, editable=False)
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(approved_at__isnull=True, cancelled_at__isnull=True),
                name="one_pending_second_factor_reset_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Second-factor reset for {self.user}"

    @property
    def pending(self) -> bool:
        return self.approved_at is None and self.cancelled_at is None

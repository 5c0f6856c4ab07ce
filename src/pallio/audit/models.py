"""The audit trail: append-only, each row chained to the previous one by a keyed hash."""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.db.models.functions import Upper


class Action(models.TextChoices):
    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    PRINT = "print", "Print"
    EXPORT = "export", "Export"
    LOGIN = "login", "Sign in"
    LOGOUT = "logout", "Sign out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    EMERGENCY = "emergency", "Break-the-glass"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class HashScheme(models.IntegerChoices):
    PLAIN = 1, "SHA-256 (before keying)"
    HMAC = 2, "HMAC-SHA256 with the audit key"


class AuditEvent(models.Model):
    """One access to, or change of, protected health information (ASTM E2147, IHE BALP).

    Ids are plain copies (no foreign keys) so the trail outlives anything it names.
    """

    at = models.DateTimeField(db_index=True)
    program_id = models.UUIDField(null=True, blank=True, db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    event = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    source_address = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # How `hash` was made: empty for rows written before the chain was keyed (plain SHA-256),
    # HashScheme.HMAC for rows keyed with the audit key held outside the database.
    scheme = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user_id", "at"]),
            models.Index(fields=["patient_id", "at"]),
            models.Index(fields=["program_id", "outcome", "at"], name="audit_program_outcome_at"),
            # The audit page's filters at tens of millions of rows (docs/performance.md): by
            # user, as typed in any case, and by action, newest first.
            models.Index(
                F("program_id"), Upper("username"), F("at"), name="audit_program_username_at"
            ),
            models.Index(fields=["program_id", "action", "at"], name="audit_program_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.event}"


class AuditChainHead(models.Model):
    """A single row holding the newest hash; locking it orders concurrent appends."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.last_hash


class SecurityAlert(models.Model):
    """Many refusals for one user in a short time, raised to the privacy officer once per
    window (SECURITY.md 10, 13)."""

    program_id = models.UUIDField(db_index=True)
    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150)
    raised_at = models.DateTimeField()
    window_start = models.DateTimeField()
    denials = models.PositiveIntegerField()
    emailed_to = models.JSONField(default=list, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["user_id", "raised_at"], name="audit_alert_user_raised")]

    def __str__(self) -> str:
        return f"{self.username}: {self.denials} refusals"

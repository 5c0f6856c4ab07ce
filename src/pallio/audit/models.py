"""The audit trail: append-only events, each carrying a keyed MAC of its own content, chained
in order by the seals one sealer appends (ADR 0012; rows written before it were chained by
their own hashes, ADR 0003)."""

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
    SEALED = 3, "HMAC-SHA256 of the event, chained by its seal"


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
    # The chain as ADR 0003 wrote it, inside the append: kept for the rows written so. A
    # sealed event (ADR 0012) leaves both empty: its place in the chain is its AuditSeal.
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # How the row is protected: empty for rows written before the chain was keyed (plain
    # SHA-256), HashScheme.HMAC for rows chained with the audit key inside the append,
    # HashScheme.SEALED for rows carrying `content_mac` and chained by their seal.
    scheme = models.PositiveSmallIntegerField(null=True, blank=True)
    # HMAC-SHA256, under the audit key, of the row's own content (sealed rows only). Nullable
    # with no default so that SQLite adds the column in place and keeps the table's triggers.
    content_mac = models.CharField(max_length=64, null=True, blank=True)

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
    """A single row holding the newest hash and the chain's length; the sealer locks it, so
    two sealers never chain the same events (ADR 0012)."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
    # The newest event id sealed so far: the sealer looks past it for new events, and a short
    # way back (by time) for events whose transaction committed late.
    sealed_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.last_hash


class AuditSeal(models.Model):
    """One event's place in the chain: insert-only, written by the sealer in event id order.

    `seq` is the event's position in the whole chain (rows chained before seals came first);
    `hash` is the HMAC, under the audit key, of the previous hash, the event's id and its
    `content_mac`.
    """

    seq = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq}: event {self.event_id}"


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

"""Who may use the portal for which patient, and what they may see and do there.

A portal account (accounts.User with kind "portal") reaches a patient only through a
PortalAccess row: the patient's own (relation "patient": every scope) or a caregiver's
(relation "caregiver": the scopes the patient or their healthcare agent granted). Revoking
or suspending a row ends that reach at once, on the next request.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from pallio.core import clock
from pallio.core.models import TimeStampedModel


class PortalScope(models.TextChoices):
    """What a caregiver may be granted. The patient's own account holds every scope."""

    DIARY = "diary", _("Symptom diary")
    VISITS = "visits", _("Visits")
    MEDICATIONS = "medications", _("Medications")
    MESSAGES = "messages", _("Messages with the team")
    DOCUMENTS = "documents", _("Documents and visit summaries")


ALL_SCOPES = tuple(PortalScope.values)


class PortalRelation(models.TextChoices):
    PATIENT = "patient", "The patient"
    CAREGIVER = "caregiver", "Caregiver"


class PortalAccess(TimeStampedModel):
    """One portal account's reach to one patient."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_accesses"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="portal_accesses"
    )
    relation = models.CharField(max_length=10, choices=PortalRelation.choices)
    # The family member this account belongs to, for a caregiver (the patient's related
    # people are kept as acp.HealthcareAgent rows).
    person = models.ForeignKey(
        "acp.HealthcareAgent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # For a caregiver: the PortalScope values granted. Ignored for the patient's own account.
    scopes = models.JSONField(default=list, blank=True)
    granted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The team may suspend a caregiver's access, with a reason; lifting it restores it.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suspended_reason = models.TextField(max_length=1000, blank=True)
    # The team has recorded that the patient cannot decide who sees their care: this
    # caregiver, the patient's healthcare agent (rank 0), decides for them (portal/people.py).
    decides_for_patient = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "patient"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_open_portal_access_per_user_and_patient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} access to {self.patient_id}"

    @property
    def is_patient(self) -> bool:
        return self.relation == PortalRelation.PATIENT

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.suspended_at is None

    def can(self, scope: str) -> bool:
        """Whether this access allows `scope` (a PortalScope value)."""
        if not self.active:
            return False
        return self.is_patient or scope in (self.scopes or [])

    @property
    def sees_confidential(self) -> bool:
        """An adolescent's confidential items are the patient's own: no caregiver sees them."""
        return self.is_patient


PORTAL_INVITATION_DAYS = 7


class PortalInvitation(models.Model):
    """A single-use link by email to open a portal account for one patient.

    Only a SHA-256 hash of the link's secret is kept. The link works once, until it expires
    or is withdrawn; accepting it makes (or extends) a portal account and its PortalAccess.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_invitations"
    )
    email = models.EmailField()
    relation = models.CharField(max_length=10, choices=PortalRelation.choices)
    person = models.ForeignKey(
        "acp.HealthcareAgent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scopes = models.JSONField(default=list, blank=True)
    # The language the invitation was written in and the account starts with ("en", "es").
    language = models.CharField(max_length=8, default="en")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "used_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"Portal invitation for {self.email}"

    def state(self, now: object) -> str:
        """'used', 'revoked', 'expired' or 'open'."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:  # type: ignore[operator]
            return "expired"
        return "open"


from pallio.portal.diary_models import DiaryReminder  # noqa: E402, F401

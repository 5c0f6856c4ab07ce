"""Base models: UUID ids, timestamps, program scoping, optimistic versions."""

from __future__ import annotations

import uuid

from django.db import models

from pallio.core import clock


class ConflictError(Exception):
    """Raised when an edit was made against a version that is no longer current."""


class TimeStampedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A row edited by people: every save through a service bumps ``version``.

    ``save_versioned(expected_version=...)`` refuses a stale edit with ConflictError so that
    the loser of a concurrent edit is told, never silently overwritten.
    """

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def save_versioned(self, *, expected_version: int | None, fields: list[str]) -> None:
        manager = type(self)._default_manager
        current = expected_version if expected_version is not None else self.version
        if current != self.version:
            # Not the version just read: stale, or made up (a huge one cannot be incremented).
            raise ConflictError(
                "This record was changed by someone else while you were editing. "
                "Reload to see their change, then make yours again."
            )
        self.updated_at = clock.now()
        values = {name: getattr(self, name) for name in fields}
        values["updated_at"] = self.updated_at
        values["version"] = current + 1
        updated = manager.filter(pk=self.pk, version=current).update(**values)
        if updated != 1:
            raise ConflictError(
                "This record was changed by someone else while you were editing. "
                "Reload to see their change, then make yours again."
            )
        self.version = current + 1


class EnteredInError(models.Model):
    """Who marked a record as wrong, when and why. The record itself stays."""

    entered_in_error = models.BooleanField(default=False)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


def versioned_save(record: VersionedModel, expected_version: int | None, fields: list[str]) -> None:
    """The version check, then a plain save of the same fields so that the change also lands
    in the record's history (save_versioned writes with a bare UPDATE)."""
    record.save_versioned(expected_version=expected_version, fields=fields)
    record.save(update_fields=[*fields, "version", "updated_at"])


class IdempotentRequest(models.Model):
    """One create made through the API with an Idempotency-Key (core/idempotency.py)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    target_model = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotent_request_once")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

"""Idempotent creates for the JSON API: the same ``Idempotency-Key`` makes one record.

A client that retries a create (a timeout, a double click) sends the same key; the first
request makes the record and every repeat gets that record back. The same key with a
different body is refused (IdempotencyConflict, answered 409), never applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.apps import apps
from django.db import IntegrityError, models, transaction

T = TypeVar("T", bound=models.Model)

KEY_MAX = 100


class IdempotencyConflict(Exception):
    """The same idempotency key was sent again with a different request."""


def _fingerprint(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def idempotent_create(
    *, user: Any, scope: str, key: str, payload: Any, create: Callable[[], T]
) -> tuple[T, bool]:
    """Run ``create`` once per (user, scope, key); returns (record, created).

    ``scope`` names the endpoint ("task.create"); ``payload`` is what the client asked for,
    compared on a repeat. Without a key, ``create`` simply runs.
    """
    if not key:
        return create(), True
    if len(key) > KEY_MAX or not key.isprintable():
        raise IdempotencyConflict(f"An Idempotency-Key is up to {KEY_MAX} printable characters.")
    request_model = apps.get_model("core", "IdempotentRequest")
    fingerprint = _fingerprint(payload)

    def replay(previous: Any) -> tuple[T, bool]:
        if previous.fingerprint != fingerprint:
            raise IdempotencyConflict(
                "This Idempotency-Key was already used for a different request."
            )
        model = apps.get_model(previous.target_model)
        return model._default_manager.get(pk=previous.target_id), False

    previous = request_model.objects.filter(user=user, scope=scope, key=key).first()
    if previous is not None:
        return replay(previous)
    try:
        with transaction.atomic():
            record = create()
            request_model.objects.create(
                user=user,
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                target_model=record._meta.label,
                target_id=str(record.pk),
            )
    except IntegrityError:
        # A concurrent request with the same key won; answer with its record.
        previous = request_model.objects.filter(user=user, scope=scope, key=key).first()
        if previous is None:
            raise
        return replay(previous)
    return record, True

"""A clinician's calendar feed: make (replacing any earlier one) and revoke it.

The feed's address carries a secret from `secrets.token_urlsafe(32)`; only its SHA-256 hash
is kept, so the address is shown once, when made. One active feed per clinician (a partial
unique constraint): making a new feed revokes the old one in the same transaction. Only
staff who can have visits booked (the clinical roles of the schedule pages) may have one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.visits.models import CalendarFeed

NOT_A_CLINICIAN = "Only staff who can have visits booked can have a calendar feed."


def feed_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def may_have_feed(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.program_id is not None
        and user.role in access.CLINICAL_ROLES
    )


def _revoke_active(actor: Any) -> int:
    return CalendarFeed.objects.filter(clinician=actor, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


@transaction.atomic
def calendar_feed_create(*, actor: Any) -> tuple[CalendarFeed, str]:
    """A new feed for `actor`, revoking any earlier one. Returns the feed and its secret (to
    show once in the address; it is not kept)."""
    if not may_have_feed(actor):
        raise PermissionDenied(NOT_A_CLINICIAN)
    replaced = _revoke_active(actor)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        clinician=actor, secret_hash=feed_secret_hash(secret), created_at=clock.now()
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="calendar_feed.create",
        target=feed,
        detail={"replaced": bool(replaced)},
    )
    return feed, secret


@transaction.atomic
def calendar_feed_revoke(*, actor: Any) -> bool:
    """Revoke `actor`'s active feed; False when there was none."""
    if not may_have_feed(actor):
        raise PermissionDenied(NOT_A_CLINICIAN)
    feed = CalendarFeed.objects.filter(clinician=actor, revoked_at__isnull=True).first()
    if feed is None:
        return False
    feed.revoked_at = clock.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action=Action.UPDATE, event="calendar_feed.revoke", target=feed)
    return True

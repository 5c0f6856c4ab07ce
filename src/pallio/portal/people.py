"""Who can see the patient's care in the portal, decided from the portal.

The patient grants each caregiver the scopes they may use, changes them, and removes a
caregiver's access at once. When the team has recorded that the patient cannot decide, the
patient's healthcare agent (rank 0 on the chart) decides for them from their own account.
An adolescent decides alone: no caregiver manages an adolescent's portal.

Every change takes effect on the caregiver's next request (the access rule reads the row each
time) and is written to the audit trail with the portal account as the actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from pallio.audit.models import Action, Outcome
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.portal.confidential import is_adolescent
from pallio.portal.invitations import clean_scopes
from pallio.portal.models import PortalAccess, PortalRelation


def is_decision_agent(access: PortalAccess) -> bool:
    """A caregiver's account that decides for the patient: recorded so by the team, and
    belonging to the patient's healthcare agent (rank 0, not struck from the chart)."""
    person = access.person
    return bool(
        access.relation == PortalRelation.CAREGIVER
        and access.decides_for_patient
        and person is not None
        and person.rank == 0
        and not person.entered_in_error
        and person.patient_id == access.patient_id
    )


def can_manage_people(access: PortalAccess) -> bool:
    """Whether this (active) access may decide who sees the patient's care."""
    if not access.active:
        return False
    if access.is_patient:
        return True
    if is_adolescent(access.patient):
        return False
    return is_decision_agent(access)


def people_check(access: PortalAccess) -> None:
    if not can_manage_people(access):
        audit_record(
            actor=access.user,
            action=Action.READ,
            event="portal.denied",
            outcome=Outcome.DENIED,
            patient_id=access.patient_id,
            program=access.program,
            detail={"scope": "people"},
        )
        raise PermissionDenied


def caregivers_of(access: PortalAccess) -> QuerySet[PortalAccess]:
    """The patient's caregivers with portal access not removed (suspended ones included)."""
    return (
        PortalAccess.objects.filter(
            patient_id=access.patient_id,
            relation=PortalRelation.CAREGIVER,
            revoked_at__isnull=True,
        )
        .select_related("user", "person")
        .order_by("created_at")
    )


def caregiver_of(access: PortalAccess, caregiver_id: Any) -> PortalAccess:
    """One caregiver of the same patient; 404 for anyone else's (a crafted address)."""
    try:
        pk = uuid.UUID(str(caregiver_id))
    except ValueError:
        raise Http404 from None
    row = caregivers_of(access).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


@transaction.atomic
def caregiver_scopes_set(
    *, access: PortalAccess, caregiver: PortalAccess, scopes: Iterable[str]
) -> PortalAccess:
    """What `caregiver` may see from now on, decided through `access` (the patient's own
    account, or the deciding healthcare agent's)."""
    people_check(access)
    locked = PortalAccess.objects.select_for_update().get(pk=caregiver.pk)
    if locked.patient_id != access.patient_id or locked.relation != PortalRelation.CAREGIVER:
        raise Http404
    if locked.revoked_at is not None:
        raise Http404
    granted = clean_scopes(scopes)
    before = list(locked.scopes or [])
    if granted != before:
        locked.scopes = granted
        locked.updated_at = clock.now()
        locked.save(update_fields=["scopes", "updated_at"])
        audit_record(
            actor=access.user,
            action=Action.UPDATE,
            event="portal.scopes_change",
            target=locked,
            patient=access.patient,
            program=access.program,
            detail={"before": before, "after": granted},
        )
    return locked


@transaction.atomic
def caregiver_revoke(*, access: PortalAccess, caregiver: PortalAccess) -> PortalAccess:
    """End `caregiver`'s access at once; they are refused on their next request."""
    people_check(access)
    locked = PortalAccess.objects.select_for_update().get(pk=caregiver.pk)
    if locked.patient_id != access.patient_id or locked.relation != PortalRelation.CAREGIVER:
        raise Http404
    if locked.revoked_at is None:
        locked.revoked_at = clock.now()
        locked.revoked_by = access.user
        locked.updated_at = locked.revoked_at
        locked.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_record(
            actor=access.user,
            action=Action.UPDATE,
            event="portal.revoke",
            target=locked,
            patient=access.patient,
            program=access.program,
        )
    return locked

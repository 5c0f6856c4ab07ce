"""Portal accounts for tests: the patient's own, or a caregiver's with chosen scopes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pallio.accounts.models import AccountKind, User
from pallio.portal.models import PortalAccess, PortalRelation

PORTAL_PASSWORD = "violet meadow lantern 42"


def portal_user(username: str, *, first: str = "", last: str = "", email: str = "") -> User:
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=email or f"{username}@example.net",
        kind=AccountKind.PORTAL,
        program=None,
    )
    user.set_password(PORTAL_PASSWORD)
    user.save()
    return user


def portal_access(
    patient: Any,
    user: User,
    *,
    relation: str = PortalRelation.PATIENT,
    scopes: Iterable[str] = (),
    person: Any = None,
) -> PortalAccess:
    return PortalAccess.objects.create(
        program_id=patient.program_id,
        patient=patient,
        user=user,
        relation=relation,
        scopes=list(scopes),
        person=person,
    )


def patient_account(patient: Any, username: str | None = None) -> User:
    """The patient's own portal account."""
    user = portal_user(
        username or f"{patient.given_name.lower()}.portal",
        first=patient.given_name,
        last=patient.family_name,
    )
    portal_access(patient, user)
    return user


def caregiver_account(patient: Any, username: str, scopes: Iterable[str]) -> User:
    user = portal_user(username, first=username.title(), last=patient.family_name)
    portal_access(patient, user, relation=PortalRelation.CAREGIVER, scopes=scopes)
    return user

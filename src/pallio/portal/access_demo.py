"""The demo's portal accounts: for one enrolled patient of the demo program, the patient's own
login, a caregiver's (their healthcare agent, with some scopes), and a caregiver whose access
the patient removed. They share the demo staff's password; `pallio demo --logins` lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pallio.accounts.demo import DEMO_PASSWORD
from pallio.accounts.models import AccountKind, User
from pallio.acp.models import HealthcareAgent
from pallio.core import clock
from pallio.portal.models import PortalAccess, PortalRelation, PortalScope

PATIENT_LOGIN = "portal-patient"
CAREGIVER_LOGIN = "portal-caregiver"
REVOKED_LOGIN = "portal-revoked"
# A Spanish-speaking family: the patient's own login and a daughter's, both in Spanish.
SPANISH_PATIENT_LOGIN = "portal-paciente"
SPANISH_CAREGIVER_LOGIN = "portal-familia"
CAREGIVER_SCOPES = [PortalScope.DIARY, PortalScope.VISITS, PortalScope.MESSAGES]


@dataclass(frozen=True)
class PortalDemoLogin:
    username: str
    who: str
    patient: str


def _account(username: str, first: str, last: str, language: str = "") -> User:
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        kind=AccountKind.PORTAL,
        program=None,
        language=language,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def portal_demo_populate(*, program: Any, patient: Any) -> None:
    """The three portal accounts for `patient` (an enrolled patient of `program`)."""
    agents = list(HealthcareAgent.objects.filter(patient=patient, entered_in_error=False))
    agent = next((a for a in agents if a.rank == 0), None) or HealthcareAgent.objects.create(
        program=program,
        patient=patient,
        name=f"Jordan {patient.family_name}",
        relationship="CHILD",
        rank=0,
        email="jordan@example.org",
    )
    own = _account(PATIENT_LOGIN, patient.given_name, patient.family_name)
    PortalAccess.objects.create(
        program=program, patient=patient, user=own, relation=PortalRelation.PATIENT
    )
    first, _sep, last = agent.name.partition(" ")
    carer = _account(CAREGIVER_LOGIN, first, last or patient.family_name)
    PortalAccess.objects.create(
        program=program,
        patient=patient,
        user=carer,
        relation=PortalRelation.CAREGIVER,
        person=agent,
        scopes=[str(s) for s in CAREGIVER_SCOPES],
        granted_by=own,
    )
    removed = _account(REVOKED_LOGIN, "Casey", patient.family_name)
    PortalAccess.objects.create(
        program=program,
        patient=patient,
        user=removed,
        relation=PortalRelation.CAREGIVER,
        scopes=[str(PortalScope.DIARY)],
        granted_by=own,
        revoked_at=clock.now(),
        revoked_by=own,
    )


def portal_demo_populate_spanish(*, program: Any, patient: Any) -> None:
    """A Spanish-speaking family for `patient`: the patient's own login and their daughter's,
    both with the portal in Spanish (the patient's preferred language is Spanish)."""
    if patient.language != "Spanish":
        patient.language = "Spanish"
        patient.save(update_fields=["language"])
    daughter = HealthcareAgent.objects.create(
        program=program,
        patient=patient,
        name=f"María {patient.family_name}",
        relationship="CHILD",
        rank=1,
        email="maria@example.org",
    )
    own = _account(SPANISH_PATIENT_LOGIN, patient.given_name, patient.family_name, "es")
    PortalAccess.objects.create(
        program=program, patient=patient, user=own, relation=PortalRelation.PATIENT
    )
    carer = _account(SPANISH_CAREGIVER_LOGIN, "María", patient.family_name, "es")
    PortalAccess.objects.create(
        program=program,
        patient=patient,
        user=carer,
        relation=PortalRelation.CAREGIVER,
        person=daughter,
        scopes=[str(s) for s in (*CAREGIVER_SCOPES, PortalScope.MEDICATIONS)],
        granted_by=own,
    )


def portal_demo_logins() -> list[PortalDemoLogin]:
    rows = []
    labels = {
        PATIENT_LOGIN: "patient (own account)",
        CAREGIVER_LOGIN: "caregiver: diary, visits, messages",
        REVOKED_LOGIN: "caregiver, access removed (refused)",
        SPANISH_PATIENT_LOGIN: "patient (own account), in Spanish",
        SPANISH_CAREGIVER_LOGIN: "caregiver in Spanish: diary, visits, messages, medicines",
    }
    for access in (
        PortalAccess.objects.filter(user__username__in=list(labels))
        .select_related("user", "patient")
        .order_by("created_at")
    ):
        patient = access.patient
        rows.append(
            PortalDemoLogin(
                username=access.user.username,
                who=labels[access.user.username],
                patient=f"{patient.given_name} {patient.family_name} ({patient.mrn})",
            )
        )
    return rows

"""Demo data for the portal's symptom diary: a few patients' diaries over the last two weeks
(one answered by a caregiver, one with a severe symptom), and a caregiver's check-in that asks
the social worker to call. Everything goes through the portal services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from pallio.accounts.models import AccountKind, User
from pallio.assessments.services import report_evaluate
from pallio.portal.checkin import checkin_submit
from pallio.portal.diary import diary_submit
from pallio.portal.models import PortalAccess, PortalRelation, PortalScope

ITEMS = ("pain", "tiredness", "drowsiness", "nausea", "appetite", "dyspnea", "depression")


def _account(patient: Any, relation: str, suffix: str, person: Any = None) -> User:
    """The patient's (or a caregiver's) portal account, made here when it has none yet."""
    existing = PortalAccess.objects.filter(
        patient=patient, relation=relation, revoked_at__isnull=True, suspended_at__isnull=True
    ).first()
    if existing is not None and existing.can(PortalScope.DIARY):
        return existing.user
    username = f"diary-{suffix}-{str(patient.pk)[:8]}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            first_name=getattr(person, "name", "").split(" ")[0] or patient.given_name,
            last_name=patient.family_name,
            email=f"{username}@example.net",
            kind=AccountKind.PORTAL,
            program=None,
        )
        user.set_unusable_password()
        user.save()
    PortalAccess.objects.get_or_create(
        user=user,
        patient=patient,
        revoked_at=None,
        defaults={
            "program_id": patient.program_id,
            "relation": relation,
            "scopes": [PortalScope.DIARY] if relation == PortalRelation.CAREGIVER else [],
            "person": person,
        },
    )
    return user


def diary_demo_populate(
    *, program: Any, patients: list[Any], rng: random.Random, now: datetime
) -> dict[str, int]:
    """Diaries for the first three `patients`; a caregiver's check-in for the first."""
    counts = {"portal_diaries": 0, "caregiver_checkins": 0}
    for n, patient in enumerate(patients[:3]):
        user = _account(patient, PortalRelation.PATIENT, "patient")
        for days_ago in (12, 5, 1):
            answers = {item: str(rng.randint(0, 4)) for item in ITEMS}
            if n == 0 and days_ago == 1:
                answers["pain"] = "8"  # severe: the nurse navigator's alert
            outcome = diary_submit(
                user=user,
                patient_id=patient.pk,
                instrument_key="esas-r",
                answers=answers,
                answered_at=now - timedelta(days=days_ago, hours=rng.randint(1, 6)),
            )
            report_evaluate(report_id=outcome.report.pk)
            counts["portal_diaries"] += 1
    if patients:
        patient = patients[0]
        person = patient.healthcare_agents.filter(entered_in_error=False).order_by("rank").first()
        carer = _account(patient, PortalRelation.CAREGIVER, "carer", person)
        outcome = diary_submit(
            user=carer,
            patient_id=patient.pk,
            instrument_key="esas-r",
            answers={item: str(rng.randint(1, 3)) for item in ITEMS},
            answered_at=now - timedelta(days=3),
        )
        report_evaluate(report_id=outcome.report.pk)
        counts["portal_diaries"] += 1
        needs = {"information": "yes", "respite": "yes", "emotional": "yes", "financial": "no"}
        checkin_submit(user=carer, patient_id=patient.pk, answers=needs)
        counts["caregiver_checkins"] += 1
    return counts

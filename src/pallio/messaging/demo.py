"""Demo secure messages: a few threads from the portal, through the services (routed,
audited, judged by the emergency wording rules), one answered by the nurse navigator and one
awaiting an answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pallio.accounts.models import AccountKind, User
from pallio.messaging.services import message_send_staff, navigator_for, thread_start_portal
from pallio.portal.models import PortalAccess, PortalRelation, PortalScope

THREADS = (
    (
        "Visit on Thursday",
        "Could the nurse come in the afternoon on Thursday instead of the morning?",
        "Yes: Thursday at 2 pm works. I have changed the visit. Nina, nurse navigator",
    ),
    ("Tablets and food", "Should the new tablets be taken with food or on an empty stomach?", ""),
    ("Thank you", "Thank you for the new pillows, they help a lot at night.", ""),
)


def _author(patient: Any, slug: str, n: int) -> User:
    """The patient's portal account: one made by the portal demo if there is one (messages
    scope), else a demo account of the patient's own that cannot sign in."""
    existing = (
        PortalAccess.objects.filter(patient=patient, revoked_at__isnull=True)
        .select_related("user")
        .order_by("created_at")
    )
    for row in existing:
        if row.can(PortalScope.MESSAGES):
            return row.user
    user = User(
        username=f"{slug}-messages-{n}",
        first_name=patient.given_name,
        last_name=patient.family_name,
        kind=AccountKind.PORTAL,
        program=None,
    )
    user.set_unusable_password()
    user.save()
    PortalAccess.objects.create(
        program_id=patient.program_id, patient=patient, user=user, relation=PortalRelation.PATIENT
    )
    return user


def messaging_demo_populate(*, program: Any, patients: Sequence[Any]) -> int:
    """Threads for the first patients with a nurse navigator; returns how many were made."""
    made = 0
    for patient in patients:
        if made >= len(THREADS):
            break
        navigator = navigator_for(patient)
        if navigator is None:
            continue
        subject, body, answer = THREADS[made]
        sent = thread_start_portal(
            actor=_author(patient, program.slug, made),
            patient_id=patient.pk,
            subject=subject,
            body=body,
        )
        if answer:
            message_send_staff(actor=navigator, thread=sent.thread, body=answer)
        made += 1
    return made

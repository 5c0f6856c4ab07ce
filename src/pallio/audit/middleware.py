"""Refusals are on the record: a signed-in user's 403 or 404 on a URL that names a patient,
or a record leading to one, writes an audit event with outcome "denied" (SECURITY.md 13)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from pallio.audit.models import Action
from pallio.audit.services import denial_record
from pallio.core.logging import escape_controls

# URL parameters that name a patient or a record holding (or leading to) patient information.
# tests/security/test_denials.py checks that every such parameter of the URL walk is here.
PATIENT_BEARING_PARAMETERS = frozenset(
    {
        "patient_id",
        "referral_id",
        "attachment_id",
        "owner",  # a colleague's caseload: the patients on it
        "staff_id",  # a staff member's audit trail: the patients they reached
        "member_id",  # a membership of a patient's care team
        "alert_id",
        "conversation_id",
        "agent_id",
        "document_id",
        "item_id",  # a medication the referrer listed for an enrolled patient
        "visit_id",
        "delivery_id",  # one recipient's copy of a visit summary
        "problem_id",  # an entry of a patient's care plan
        "goal_id",
        "intervention_id",
        "task_id",  # a task about one patient
        "note_id",  # a visit note
        "team_id",  # a team meeting's agenda lists its patients
        "meeting_id",
        "agenda_item_id",  # one patient on a meeting's agenda
        "call_id",  # a call to the 24/7 line about a patient
        "stay_id",  # a hospital stay
        "review_id",  # the team's review of a patient's hospital care
        "follow_up_id",  # a bereaved family's follow-up, of one patient
        "contact_id",  # one planned contact of that follow-up
        "message_id",  # a hospital message (HL7 ADT) naming a person
        "hospice_referral_id",  # a patient's referral to a hospice
        "scheduled_visit_id",  # a booked visit of one patient
        "clinician_id",  # a colleague's schedule: the patients they visit
        "order_id",  # equipment or a service ordered for one patient
        "thread_id",  # a thread of secure messages about one patient
        "message_attachment_id",  # a file sent with a secure message
        "invitation_id",  # an invitation to one patient's portal
        "portal_access_id",  # a caregiver's access to one patient's portal
    }
)
REFUSED = (403, 404)


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class DeniedAccessAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSED:
            self.record(request, response)
        return response

    @staticmethod
    def record(request: HttpRequest, response: HttpResponse) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return
        named = sorted(PATIENT_BEARING_PARAMETERS & set(match.kwargs))
        if not named:
            return
        denial_record(
            actor=user,
            action=Action.READ if request.method in ("GET", "HEAD") else Action.UPDATE,
            event="access.denied",
            patient_id=_as_uuid(match.kwargs.get("patient_id")),
            detail={
                "status": response.status_code,
                "method": escape_controls(str(request.method))[:10],
                "page": match.view_name,
                "path": escape_controls(request.path)[:300],
                "ids": {name: escape_controls(str(match.kwargs[name]))[:64] for name in named},
            },
        )

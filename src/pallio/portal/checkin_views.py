"""The caregiver check-in page: a short needs screen for the caregiver, and support."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.portal import checkin, diary
from pallio.portal.access import portal_view
from pallio.portal.models import PortalAccess


def _context(
    access: PortalAccess,
    errors: dict[str, list[str]] | None = None,
    chosen: dict[str, str] | None = None,
) -> dict[str, object]:
    instrument = checkin.checkin_instrument(access.program)
    items = diary.diary_items(instrument) if instrument is not None else []
    return {
        "access": access,
        "instrument": instrument,
        "rows": [
            {
                "item": item,
                "value": str((chosen or {}).get(item.link_id, "")),
                "errors": (errors or {}).get(item.link_id, []),
            }
            for item in items
        ],
        "notes": str((chosen or {}).get("notes", "")),
        "notes_errors": (errors or {}).get("notes", []),
        "form_errors": (errors or {}).get("answers", []),
        "has_errors": bool(errors),
        "resources": checkin.support_resources(access.program),
        "form_key": uuid.uuid4().hex,
    }


@portal_view(caregivers_only=True)
@require_http_methods(["GET", "POST"])
def checkin_page(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    access = checkin.caregiver_access(request.user, access.patient_id)
    if request.method == "POST":
        instrument = checkin.checkin_instrument(access.program)
        answers = diary.answers_from_post(instrument, request.POST) if instrument else {}
        notes = str(request.POST.get("notes", "")).strip()
        if notes:
            answers["notes"] = notes[:4000]
        try:
            outcome = checkin.checkin_submit(
                user=request.user,
                patient_id=access.patient_id,
                answers=answers,
                idempotency_key=str(request.POST.get("form_key", ""))[:60],
            )
        except ValidationError as exc:
            return render(
                request,
                "portal/checkin.html",
                _context(access, exc.message_dict, answers),
                status=400,
            )
        context = _context(access)
        context["outcome"] = outcome
        return render(request, "portal/checkin_sent.html", context)
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.checkin",
        patient=access.patient,
        program=access.program,
    )
    return render(request, "portal/checkin.html", _context(access))

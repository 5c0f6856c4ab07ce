"""The symptom diary's pages: answer a diary, see what was sent, and the past diaries."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.portal import diary
from pallio.portal.access import portal_view
from pallio.portal.models import PortalAccess, PortalScope


def _form_context(
    access: PortalAccess,
    instrument_key: str,
    errors: dict[str, list[str]] | None = None,
    chosen: dict[str, str] | None = None,
) -> dict[str, object]:
    instruments = diary.diary_instruments(access.program)
    instrument = next((i for i in instruments if i.key == instrument_key), None)
    if instrument is None and instruments:
        instrument = instruments[0]
    return {
        "access": access,
        "instruments": instruments,
        "instrument": instrument,
        "rows": [
            {
                "item": item,
                "value": str((chosen or {}).get(item.link_id, "")),
                "errors": (errors or {}).get(item.link_id, []),
            }
            for item in (diary.diary_items(instrument) if instrument is not None else [])
        ],
        "form_errors": (errors or {}).get("answers", []),
        "has_errors": bool(errors),
        "history": diary.diary_history(access),
        "form_key": uuid.uuid4().hex,
    }


@portal_view(PortalScope.DIARY)
@require_http_methods(["GET", "POST"])
def diary_page(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    """GET: the diary form and the past diaries. POST: send a diary; the answer page says
    what happens next (and shows the 24/7 number at once when the answers call for it)."""
    if request.method == "POST":
        key = str(request.POST.get("instrument", ""))[:60]
        instrument = diary.diary_instrument(access.program, key)
        answers = diary.answers_from_post(instrument, request.POST) if instrument else {}
        try:
            outcome = diary.diary_submit(
                user=request.user,
                patient_id=access.patient_id,
                instrument_key=key,
                answers=answers,
                idempotency_key=str(request.POST.get("form_key", ""))[:60],
            )
        except ValidationError as exc:
            context = _form_context(access, key, exc.message_dict, answers)
            return render(request, "portal/diary.html", context, status=400)
        return render(
            request,
            "portal/diary_sent.html",
            {"access": access, "outcome": outcome, "instrument": instrument},
        )
    audit_record(
        actor=request.user,
        action=Action.READ,
        event="portal.diary",
        patient=access.patient,
        program=access.program,
    )
    context = _form_context(access, str(request.GET.get("instrument", ""))[:60])
    return render(request, "portal/diary.html", context)

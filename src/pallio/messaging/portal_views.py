"""The portal's messages: the patient's threads, a new message, a thread with its reply box,
and the files sent. Every page needs the messages scope (portal_view); every read and write
is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import params
from pallio.core.uploads import upload_download_response
from pallio.messaging import selectors, services
from pallio.messaging.models import MESSAGE_MAX_CHARS, Side
from pallio.portal.access import portal_view
from pallio.portal.models import PortalAccess, PortalScope

# The session key naming the message just sent that reads like an emergency: the next page
# shows the 24/7 number and 911 at the top, once.
EMERGENCY_SESSION_KEY = "messaging_emergency"


def _audit(
    request: HttpRequest, portal_access: PortalAccess, event: str, target: Any = None
) -> None:
    audit_record(
        actor=request.user,
        action=Action.READ,
        event=event,
        patient=portal_access.patient,
        program=portal_access.program,
        target=target,
    )


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@portal_view(PortalScope.MESSAGES)
@require_GET
def thread_list(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    page = selectors.threads_for_portal(access, params.page_of(request.GET))
    _audit(request, access, "message.list")
    return render(
        request,
        "portal/messages/list.html",
        {
            "access": access,
            "page": page,
            "answer_hours": round(services.answer_hours(access.program)),
        },
    )


@portal_view(PortalScope.MESSAGES)
@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    values = {"subject": "", "body": "", "confidential": False}
    if request.method == "POST":
        values = {
            "subject": request.POST.get("subject", ""),
            "body": request.POST.get("body", ""),
            "confidential": request.POST.get("confidential") == "1",
        }
        try:
            sent = services.thread_start_portal(
                actor=request.user,
                patient_id=access.patient_id,
                subject=str(values["subject"]),
                body=str(values["body"]),
                confidential=bool(values["confidential"]),
                files=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _after_sending(request, access, sent)
    return render(
        request,
        "portal/messages/new.html",
        {
            "access": access,
            "errors": errors,
            "values": values,
            "may_keep_confidential": services.may_keep_confidential(access),
            "max_chars": MESSAGE_MAX_CHARS,
        },
        status=400 if errors else 200,
    )


def _after_sending(request: HttpRequest, access: PortalAccess, sent: services.Sent) -> HttpResponse:
    if sent.emergency:
        request.session[EMERGENCY_SESSION_KEY] = str(sent.message.pk)
    return redirect(
        "messaging_portal:thread", patient_id=access.patient_id, thread_id=sent.thread.pk
    )


@portal_view(PortalScope.MESSAGES)
@require_http_methods(["GET", "POST"])
def thread_view(request: HttpRequest, access: PortalAccess, thread_id: uuid.UUID) -> HttpResponse:
    thread = selectors.thread_get_for_portal(access, thread_id)
    errors: dict[str, list[str]] = {}
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            sent = services.message_send_portal(
                actor=request.user,
                patient_id=access.patient_id,
                thread_id=thread.pk,
                body=body,
                files=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _after_sending(request, access, sent)
    emergency = request.session.pop(EMERGENCY_SESSION_KEY, None) if not errors else None
    services.messages_mark_read(reader=request.user, thread=thread, side=Side.PORTAL)
    _audit(request, access, "message.thread.read", thread)
    return render(
        request,
        "portal/messages/thread.html",
        {
            "access": access,
            "thread": thread,
            "shown": selectors.thread_messages(thread, viewer=request.user, side=Side.PORTAL),
            "errors": errors,
            "body": body,
            "emergency": bool(emergency),
            "max_chars": MESSAGE_MAX_CHARS,
        },
        status=400 if errors else 200,
    )


@portal_view(PortalScope.MESSAGES)
@require_GET
def attachment(
    request: HttpRequest,
    access: PortalAccess,
    thread_id: uuid.UUID,
    message_attachment_id: uuid.UUID,
) -> FileResponse:
    thread = selectors.thread_get_for_portal(access, thread_id)
    item = selectors.attachment_get(thread, message_attachment_id)
    _audit(request, access, "message.attachment.read", item)
    return upload_download_response(
        item.file.open("rb"), filename=item.original_name, content_type=item.content_type
    )

"""The team's side of secure messages: the inbox (threads routed to me, to the team's
inbox, or all of my patients'), a thread with the reply box, closing a thread, the files."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.audit.models import Action
from pallio.audit.services import audit_read, audit_record
from pallio.core import params, privileges
from pallio.core.access import staff_view
from pallio.core.uploads import upload_download_response
from pallio.messaging import selectors, services
from pallio.messaging.emergency import family_labels
from pallio.messaging.models import MESSAGE_MAX_CHARS, Side

SHOWS = [("mine", "Routed to me"), ("team", "Team inbox"), ("all", "All my patients")]


class InboxQuery(params.QueryForm):
    show = params.ChoiceParam(choices=SHOWS)
    page = params.PageParam()


@staff_view("message.view")
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    query = params.parse(InboxQuery, request.GET)
    show = query["show"] or "mine"
    user: Any = request.user
    page = selectors.inbox_for(user, show=show, page=query["page"])
    audit_record(
        actor=user,
        action=Action.READ,
        event="message.inbox",
        program=user.program,
        detail={"show": show, "patients": sorted({str(t.patient_id) for t in page.object_list})},
    )
    return render(
        request,
        "messaging/inbox.html",
        {"page": page, "show": show, "shows": SHOWS},
    )


@staff_view("message.view")
@require_http_methods(["GET", "POST"])
def thread_view(request: HttpRequest, thread_id: uuid.UUID) -> HttpResponse:
    user: Any = request.user
    thread = selectors.thread_get_for_staff(user, thread_id)
    errors: dict[str, list[str]] = {}
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            services.message_send_staff(
                actor=user, thread=thread, body=body, files=request.FILES.getlist("files")
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
        else:
            return redirect("messaging:thread", thread_id=thread.pk)
    services.messages_mark_read(reader=user, thread=thread, side=Side.STAFF)
    audit_read(actor=user, patient=thread.patient, target=thread, event="message.thread.read")
    shown = selectors.thread_messages(thread, viewer=user, side=Side.STAFF)
    for item in shown:
        item.emergency_labels = family_labels(item.emergency)  # type: ignore[attr-defined]
    return render(
        request,
        "messaging/thread.html",
        {
            "thread": thread,
            "shown": shown,
            "errors": errors,
            "body": body,
            "may_reply": privileges.can(user, "message.reply"),
            "max_chars": MESSAGE_MAX_CHARS,
        },
        status=400 if errors else 200,
    )


@staff_view("message.view")
@require_POST
def thread_close(request: HttpRequest, thread_id: uuid.UUID) -> HttpResponse:
    thread = selectors.thread_get_for_staff(request.user, thread_id)
    services.thread_close(actor=request.user, thread=thread)
    return redirect("messaging:inbox")


@staff_view("message.view")
@require_GET
def attachment(
    request: HttpRequest, thread_id: uuid.UUID, message_attachment_id: uuid.UUID
) -> FileResponse:
    thread = selectors.thread_get_for_staff(request.user, thread_id)
    item = selectors.attachment_get(thread, message_attachment_id)
    audit_read(
        actor=request.user, patient=thread.patient, target=item, event="message.attachment.read"
    )
    return upload_download_response(
        item.file.open("rb"), filename=item.original_name, content_type=item.content_type
    )

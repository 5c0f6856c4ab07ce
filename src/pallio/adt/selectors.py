"""Reading the review queue: the program-wide roles only (adt.review), every read audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record

from .models import OPEN_STATUSES, AdtMessage, AdtStatus

PAGE_SIZE = 25

QUEUE_TABS = {
    "open": "To review",
    "applied": "Applied",
    "dismissed": "Dismissed",
    "duplicate": "Repeats",
    "all": "All",
}


def _program_messages(user: Any) -> QuerySet[AdtMessage]:
    return AdtMessage.objects.filter(program_id=user.program_id)


def adt_queue_for(user: Any, tab: str) -> QuerySet[AdtMessage]:
    messages = _program_messages(user)
    if tab == "open":
        messages = messages.filter(status__in=OPEN_STATUSES)
    elif tab in AdtStatus.values:
        messages = messages.filter(status=tab)
    return messages.select_related("patient").defer("raw").order_by("-received_at", "id")


def adt_queue_page_for(user: Any, tab: str, page: Any) -> Page[AdtMessage]:
    """One page of the queue; its read audited in one row naming every patient shown, so the
    page costs the same queries whatever its length."""
    result = Paginator(adt_queue_for(user, tab), PAGE_SIZE).get_page(page)
    rows = list(result.object_list)
    result.object_list = rows
    if rows:
        audit_record(
            actor=user,
            action=Action.READ,
            event="adt.queue.read",
            detail={
                "tab": tab,
                "messages": [str(m.pk) for m in rows],
                "patients": sorted({str(m.patient_id) for m in rows if m.patient_id}),
            },
        )
    return result


def adt_message_get_for(user: Any, message_id: Any, *, audit: bool = True) -> AdtMessage:
    """A message of the user's program; Http404 for another program's and a missing one."""
    try:
        pk = message_id if isinstance(message_id, uuid.UUID) else uuid.UUID(str(message_id))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such message") from None
    message = (
        _program_messages(user)
        .select_related("program", "patient", "resolved_by", "duplicate_of")
        .filter(pk=pk)
        .first()
    )
    if message is None:
        raise Http404("No such message")
    if audit:
        audit_record(
            actor=user,
            action=Action.READ,
            event="adt.message.read",
            program=message.program,
            patient=message.patient,
            target=message,
        )
    return message

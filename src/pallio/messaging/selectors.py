"""Every read of secure messages, access-checked: the portal's threads of one patient, the
team's inbox, one thread with its messages, files and read receipts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Prefetch
from django.http import Http404

from pallio.core import access, clock
from pallio.messaging.models import Message, MessageAttachment, MessageRead, Side, Thread
from pallio.portal.models import PortalAccess

INBOX_PAGE_SIZE = 25
PORTAL_PAGE_SIZE = 20
INBOX_SHOWS = ("mine", "team", "all")


def _unread_by(user: Any, side: str) -> Exists:
    """A message of the other side in the thread that `user` has not read."""
    other = Side.STAFF if side == Side.PORTAL else Side.PORTAL
    return Exists(
        Message.objects.filter(thread=OuterRef("pk"), author_side=other).exclude(
            Exists(MessageRead.objects.filter(message=OuterRef("pk"), reader=user))
        )
    )


def threads_for_portal(portal_access: PortalAccess, page: Any) -> Page[Any]:
    """The patient's threads this account may see (a caregiver never sees the adolescent's
    confidential ones), the newest first, each with whether a reply is unread."""
    rows = Thread.objects.filter(patient_id=portal_access.patient_id).annotate(
        unread=_unread_by(portal_access.user, Side.PORTAL)
    )
    if not portal_access.sees_confidential:
        rows = rows.filter(confidential=False)
    rows = rows.order_by("-last_message_at", "pk")
    return Paginator(rows, PORTAL_PAGE_SIZE).get_page(page)


def thread_get_for_portal(portal_access: PortalAccess, thread_id: Any) -> Thread:
    try:
        thread = Thread.objects.select_related("program", "patient").get(
            pk=thread_id, patient_id=portal_access.patient_id
        )
    except (Thread.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such thread") from None
    if thread.confidential and not portal_access.sees_confidential:
        raise Http404("No such thread")
    return thread


def inbox_for(user: Any, *, show: str, page: Any) -> Page[Any]:
    """The open threads of the patients `user` reaches: routed to them ("mine"), to the
    team's inbox ("team"), or both and their colleagues' ("all"). Threads waiting for the team
    come first, the earliest answer-by time first; each carries `overdue` and `unread`."""
    rows = (
        Thread.objects.filter(program_id=user.program_id, status=Thread.Status.OPEN)
        .filter(patient__entered_in_error=False)
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("patient", "routed_to")
        .annotate(unread=_unread_by(user, Side.STAFF))
    )
    if show == "mine":
        rows = rows.filter(routed_to=user)
    elif show == "team":
        rows = rows.filter(routed_to__isnull=True)
    rows = rows.order_by(
        F("awaiting_team").desc(), F("answer_by").asc(nulls_last=True), "-last_message_at", "pk"
    )
    result: Page[Any] = Paginator(rows, INBOX_PAGE_SIZE).get_page(page)
    now = clock.now()
    for thread in result.object_list:
        thread.is_overdue = thread.overdue(now)
    return result


def thread_get_for_staff(user: Any, thread_id: Any) -> Thread:
    """The thread, when `user` may reach its patient; Http404 otherwise."""
    try:
        thread = Thread.objects.select_related("program", "patient", "routed_to").get(
            pk=thread_id, program_id=user.program_id
        )
    except (Thread.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such thread") from None
    if not access.can_access_patient(user, thread.patient):
        raise Http404("No such thread")
    return thread


@dataclass
class Shown:
    """One message as a page shows it: who wrote it and who of the other side read it."""

    message: Message
    mine: bool
    author: str
    files: list[MessageAttachment]
    # The first reading by the other side: (who, when), None when not read yet.
    read_by: str = ""
    read_at: Any = None
    emergency: list[str] = field(default_factory=list)


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def thread_messages(thread: Thread, *, viewer: Any, side: str) -> list[Shown]:
    """The thread's messages, oldest first, with files and the other side's first reading.
    A fixed number of queries whatever the length."""
    messages = (
        thread.messages.select_related("author")
        .prefetch_related(
            "attachments",
            Prefetch("reads", queryset=MessageRead.objects.select_related("reader")),
        )
        .order_by("created_at", "pk")
    )
    shown = []
    for message in messages:
        reads = [
            r
            for r in message.reads.all()
            if r.reader_side != message.author_side and r.reader_id != message.author_id
        ]
        first = min(reads, key=lambda r: r.read_at) if reads else None
        shown.append(
            Shown(
                message=message,
                mine=message.author_id == viewer.pk,
                author=_name(message.author),
                files=list(message.attachments.all()),
                read_by=_name(first.reader) if first else "",
                read_at=first.read_at if first else None,
                emergency=list(message.emergency or []),
            )
        )
    return shown


def attachment_get(thread: Thread, attachment_id: Any) -> MessageAttachment:
    try:
        return MessageAttachment.objects.get(pk=attachment_id, message__thread=thread)
    except (MessageAttachment.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such file") from None

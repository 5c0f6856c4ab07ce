"""Every write of secure messaging: a thread started or answered from the portal or by the
team, read receipts, closing a thread.

Portal writes check the account's PortalAccess (messages scope; an adolescent's confidential
thread is the patient's own) through portal.access; staff writes need the `message.reply`
privilege (core/privileges.py) and the patient's access rule (core/access.py). A message
whose wording reads like an emergency raises the program's `message-emergency` alert
(assessments), the same alert machinery the symptom reports use.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.core.privileges import privilege_check
from pallio.core.uploads import CheckedUpload, safe_file_name, upload_check
from pallio.core.validation import Errors
from pallio.episodes.models import CareTeamMember
from pallio.messaging.emergency import emergency_findings, family_labels
from pallio.messaging.models import (
    MESSAGE_MAX_CHARS,
    SUBJECT_MAX_CHARS,
    Message,
    MessageAttachment,
    MessageRead,
    Side,
    Thread,
)
from pallio.messaging.selectors import thread_get_for_portal
from pallio.portal.access import portal_access_get
from pallio.portal.models import PortalAccess, PortalScope

MAX_FILES = 3
ADOLESCENT_MAX_AGE = 17


@dataclass(frozen=True)
class Sent:
    """A message written, and what its wording was found to hold (empty: nothing urgent)."""

    thread: Thread
    message: Message
    emergency: list[str]


# --- routing and the answer-by clock -------------------------------------------------------------


def navigator_for(patient: Any) -> Any:
    """The patient's nurse navigator (the lead first), or None: the team's inbox."""
    member = (
        CareTeamMember.objects.filter(
            patient=patient, active=True, discipline=Discipline.NURSE_NAVIGATOR
        )
        .select_related("user")
        .order_by("-is_lead", "created_at")
        .first()
    )
    return member.user if member is not None else None


def answer_hours(program: Any) -> float:
    return float(program.setting("message_answer_hours"))


def may_keep_confidential(portal_access: PortalAccess) -> bool:
    """An adolescent patient, on their own account, may keep a thread from their parents:
    from the program's young-adult band's first age (default 15) to 17."""
    if not portal_access.sees_confidential:
        return False
    patient = portal_access.patient
    today = clock.today_in(patient.program.timezone)
    born = patient.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    bands = patient.program.setting("young_adult_ages")
    youngest = int(bands[0]) if isinstance(bands, list) and bands else 15
    return youngest <= age <= ADOLESCENT_MAX_AGE


# --- checks ------------------------------------------------------------------------------------


def _check_body(errors: Errors, body: str) -> str:
    body = body.strip()
    if not body:
        errors.setdefault("body", []).append(_("Write your message."))
    elif len(body) > MESSAGE_MAX_CHARS:
        errors.setdefault("body", []).append(
            _("Keep your message under %(limit)s characters.") % {"limit": MESSAGE_MAX_CHARS}
        )
    if "\x00" in body:
        errors.setdefault("body", []).append(_("The message contains a character not allowed."))
    return body


def _check_subject(errors: Errors, subject: str) -> str:
    subject = subject.strip()
    if not subject:
        errors.setdefault("subject", []).append(_("Say what the message is about."))
    elif len(subject) > SUBJECT_MAX_CHARS:
        errors.setdefault("subject", []).append(
            _("Keep the subject under %(limit)s characters.") % {"limit": SUBJECT_MAX_CHARS}
        )
    if "\x00" in subject:
        errors.setdefault("subject", []).append(_("The subject contains a character not allowed."))
    return subject


def _check_files(
    errors: Errors, files: Sequence[UploadedFile], program: Any, *, portal: bool
) -> list[CheckedUpload]:
    """Every file checked by its content (core/uploads.py) before anything is written."""
    if len(files) > MAX_FILES:
        errors.setdefault("files", []).append(
            _("Send at most %(count)s files with one message.") % {"count": MAX_FILES}
        )
        return []
    checked = []
    for upload in files:
        try:
            checked.append(upload_check(upload, pdf_policy=program.setting("pdf_active_content")))
        except ValidationError as exc:
            if portal:
                name = safe_file_name(upload.name or "", default=_("the file"))
                errors.setdefault("files", []).append(
                    _(
                        "%(name)s was not sent. Send a photo (JPEG or PNG) or a PDF of up to "
                        "%(size)s MB, without a password."
                    )
                    % {"name": name, "size": _size_mb()}
                )
            else:
                errors.setdefault("files", []).extend(exc.messages)
    return checked


def _size_mb() -> str:
    from django.conf import settings

    return f"{settings.PALLIO_ATTACHMENT_MAX_BYTES / (1024 * 1024):g}"


def _refuse(errors: Errors) -> None:
    """Bad input changes nothing: every problem named at once, before any row is written."""
    if errors:
        raise ValidationError(errors)


# --- writing -----------------------------------------------------------------------------------


def _post(
    *,
    thread: Thread,
    author: Any,
    side: str,
    body: str,
    checked: list[tuple[UploadedFile, CheckedUpload]],
) -> Sent:
    now = clock.now()
    found = emergency_findings(body) if side == Side.PORTAL else []
    message = Message.objects.create(
        thread=thread, author=author, author_side=side, body=body, emergency=found
    )
    for upload, item in checked:
        attachment = MessageAttachment(
            message=message,
            original_name=safe_file_name(upload.name or ""),
            content_type=item.mime,
            size=item.size,
        )
        attachment.file.save(f"{secrets.token_hex(16)}.bin", ContentFile(item.content), save=False)
        attachment.save()
    # The sender has read their own message.
    MessageRead.objects.create(message=message, reader=author, reader_side=side, read_at=now)
    fields = ["last_message_at", "updated_at"]
    thread.last_message_at = thread.updated_at = now
    if side == Side.PORTAL:
        if not thread.awaiting_team:
            thread.awaiting_team = True
            thread.answer_by = now + timedelta(hours=answer_hours(thread.program))
        if thread.status == Thread.Status.CLOSED:
            # A family writing into a closed thread reopens it: the team must see it.
            thread.status, thread.closed_at, thread.closed_by = Thread.Status.OPEN, None, None
            fields += ["status", "closed_at", "closed_by"]
    else:
        thread.awaiting_team, thread.answer_by = False, None
    fields += ["awaiting_team", "answer_by"]
    thread.save(update_fields=fields)
    audit_record(
        actor=author,
        action=Action.CREATE,
        event="message.send",
        patient=thread.patient,
        program=thread.program,
        target=message,
        detail={"side": side, "files": len(checked), "emergency": found},
    )
    if found:
        _emergency_alert(message, found)
    return Sent(thread=thread, message=message, emergency=found)


def _emergency_alert(message: Message, found: list[str]) -> None:
    """The program's message-emergency rule, once per message: on the alert worklist with a
    follow-up task for its discipline (the nurse navigator by default)."""
    from pallio.assessments.models import RuleKind
    from pallio.assessments.services import alert_raise, rules_for

    thread = message.thread
    what = "; ".join(family_labels(found))
    detail = f"Portal message in “{thread.subject[:80]}” mentions {what}"
    for rule in rules_for(thread.program):
        if rule.kind == RuleKind.MESSAGE_EMERGENCY:
            alert_raise(
                rule=rule,
                patient=thread.patient,
                dedupe_key=f"message:{message.pk}:{rule.key}",
                detail=detail,
            )


def _portal_access(actor: Any, patient_id: uuid.UUID) -> PortalAccess:
    return portal_access_get(actor, patient_id, PortalScope.MESSAGES)


def thread_start_portal(
    *,
    actor: Any,
    patient_id: uuid.UUID,
    subject: str,
    body: str,
    confidential: bool = False,
    files: Sequence[UploadedFile] = (),
) -> Sent:
    """A patient or caregiver writes to the team: a new thread routed to the patient's nurse
    navigator (or the team's inbox), due an answer within the program's hours."""
    portal_access = _portal_access(actor, patient_id)
    program = portal_access.program
    errors: Errors = {}
    subject = _check_subject(errors, subject)
    body = _check_body(errors, body)
    if confidential and not may_keep_confidential(portal_access):
        errors.setdefault("confidential", []).append(
            _("Only the patient's own account can keep a conversation private.")
        )
    checked = _check_files(errors, files, program, portal=True)
    _refuse(errors)
    with transaction.atomic():
        return _thread_insert(
            actor=actor,
            portal_access=portal_access,
            subject=subject,
            body=body,
            confidential=confidential,
            checked=list(zip(files, checked, strict=True)),
        )


def _thread_insert(
    *,
    actor: Any,
    portal_access: PortalAccess,
    subject: str,
    body: str,
    confidential: bool,
    checked: list[tuple[UploadedFile, CheckedUpload]],
) -> Sent:
    patient, program = portal_access.patient, portal_access.program
    thread = Thread.objects.create(
        program=program,
        patient=patient,
        subject=subject,
        confidential=bool(confidential),
        started_by=actor,
        started_side=Side.PORTAL,
        routed_to=navigator_for(patient),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="message.thread.start",
        patient=patient,
        program=program,
        target=thread,
        detail={"confidential": thread.confidential, "routed": bool(thread.routed_to_id)},
    )
    return _post(thread=thread, author=actor, side=Side.PORTAL, body=body, checked=checked)


def message_send_portal(
    *,
    actor: Any,
    patient_id: uuid.UUID,
    thread_id: Any,
    body: str,
    files: Sequence[UploadedFile] = (),
) -> Sent:
    """A reply from the portal into one of the patient's threads."""
    portal_access = _portal_access(actor, patient_id)
    thread = thread_get_for_portal(portal_access, thread_id)
    errors: Errors = {}
    body = _check_body(errors, body)
    checked = _check_files(errors, files, thread.program, portal=True)
    _refuse(errors)
    with transaction.atomic():
        thread = _locked(thread)
        return _post(
            thread=thread,
            author=actor,
            side=Side.PORTAL,
            body=body,
            checked=list(zip(files, checked, strict=True)),
        )


def _locked(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().select_related("program", "patient").get(pk=thread.pk)


def _staff_reach(actor: Any, thread: Thread) -> None:
    if getattr(actor, "kind", "staff") != "staff" or not access.can_access_patient(
        actor, thread.patient
    ):
        raise Http404("No such thread")


@transaction.atomic
def message_send_staff(
    *, actor: Any, thread: Thread, body: str, files: Sequence[UploadedFile] = ()
) -> Sent:
    """A member of the team answers: the thread no longer waits for the team."""
    privilege_check(actor, "message.reply")
    _staff_reach(actor, thread)
    errors: Errors = {}
    body = _check_body(errors, body)
    checked = _check_files(errors, files, thread.program, portal=False)
    _refuse(errors)
    thread = _locked(thread)
    if not thread.is_open:
        raise ValidationError({"body": ["This conversation is closed."]})
    return _post(
        thread=thread,
        author=actor,
        side=Side.STAFF,
        body=body,
        checked=list(zip(files, checked, strict=True)),
    )


@transaction.atomic
def thread_close(*, actor: Any, thread: Thread) -> Thread:
    """The team closes a conversation that needs nothing more (a later portal message
    reopens it)."""
    privilege_check(actor, "message.reply")
    _staff_reach(actor, thread)
    if not thread.is_open:
        return thread
    thread.status, thread.closed_at, thread.closed_by = Thread.Status.CLOSED, clock.now(), actor
    thread.awaiting_team, thread.answer_by = False, None
    thread.save(update_fields=["status", "closed_at", "closed_by", "awaiting_team", "answer_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="message.thread.close",
        patient=thread.patient,
        program=thread.program,
        target=thread,
    )
    return thread


def messages_mark_read(*, reader: Any, thread: Thread, side: str) -> int:
    """Read receipts for every message of the other side the reader has not read yet (the
    first reading only). Returns how many were written."""
    other = Side.STAFF if side == Side.PORTAL else Side.PORTAL
    unread = list(
        thread.messages.filter(author_side=other)
        .exclude(reads__reader=reader)
        .values_list("pk", flat=True)
    )
    if not unread:
        return 0
    now = clock.now()
    MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, reader=reader, reader_side=side, read_at=now) for pk in unread],
        ignore_conflicts=True,
    )
    return len(unread)

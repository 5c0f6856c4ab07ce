"""Paging a person about a call: by email (Django's mail backend) and by text message.

The text-message backend is a setting (PALLIO_SMS_BACKEND, a dotted path to a class with
``send(*, to_user, body) -> None`` that raises OSError when the message could not be
handed over). The default writes each message to var/outbox/sms/ and logs that it did,
so a laptop and the test suite page nobody for real. A page names no patient: email and
text messages travel in the clear, so they say that a call needs the person and where to
look, and the on-call screen shows the rest after sign-in.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from pallio.core import clock

log = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to_user: Any, body: str) -> None: ...


class OutboxSmsBackend:
    """Keeps each text message as a file under the outbox; sends nothing."""

    def send(self, *, to_user: Any, body: str) -> None:
        folder = Path(settings.VAR_DIR) / "outbox" / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
        (folder / f"{stamp}-{to_user.pk}.txt").write_text(
            f"To: {to_user.get_username()}\n\n{body}\n", encoding="utf-8"
        )
        log.info("text message for user %s written to the outbox", to_user.pk)


@cache
def _sms_backend(path: str) -> SmsBackend:
    backend: SmsBackend = import_string(path)()
    return backend


def sms_backend() -> SmsBackend:
    return _sms_backend(settings.PALLIO_SMS_BACKEND)


def page_send(*, to_user: Any, subject: str, body: str, message_id: str) -> list[str]:
    """Page one person by every channel they have; returns the channels used. Raises OSError
    when no channel took the message (the caller keeps the page for another attempt).

    ``message_id`` is the same for every attempt at one page, so a mail reader can tell a
    repeat (a worker that died after the server took the message) from a new page."""
    channels: list[str] = []
    failures: list[OSError] = []
    if to_user.email:
        try:
            EmailMessage(
                subject=subject,
                body=body,
                to=[to_user.email],
                headers={"Message-ID": message_id},
            ).send()
            channels.append("email")
        except OSError as exc:
            failures.append(exc)
    try:
        sms_backend().send(to_user=to_user, body=f"{subject}. {body}")
        channels.append("sms")
    except OSError as exc:
        failures.append(exc)
    if not channels:
        raise failures[0] if failures else OSError("no channel")
    return channels

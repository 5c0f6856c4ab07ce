"""Text messages to patients and their families, through a pluggable backend.

Like Django's EMAIL_BACKEND, the setting PALLIO_PATIENT_SMS_BACKEND names a class by its dotted
path. A backend has ``send(*, to: str, body: str) -> None``: ``to`` is a phone number in E.164,
and it raises OSError (or a subclass) when the message could not be handed over, so that the
caller records the failure and tries again later.

- ``ConsoleSmsBackend`` (the default) sends nothing: it writes each message to standard output
  and logs that it did, so a laptop texts nobody for real.
- ``LocmemSmsBackend`` keeps each message in ``outbox`` (tests).

A program connects its text-message provider by writing a backend with the same ``send`` and
naming it in the setting. (Pages to staff from the 24/7 line have their own backend,
PALLIO_SMS_BACKEND, addressed to a staff member rather than a number: support/paging.py.)
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class ConsoleSmsBackend:
    """Writes each message to standard output; sends nothing."""

    def send(self, *, to: str, body: str) -> None:
        masked = f"…{to[-4:]}" if len(to) >= 4 else "…"
        sys.stdout.write(f"Text message to {masked}:\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()
        log.info("text message to a number ending %s written to the console", to[-4:])


# What the locmem backend was given, in order (tests empty it).
outbox: list[SmsMessage] = []


class LocmemSmsBackend:
    """Keeps each message in ``pallio.core.sms.outbox``; sends nothing."""

    def send(self, *, to: str, body: str) -> None:
        outbox.append(SmsMessage(to=to, body=body))


@cache
def _backend(path: str) -> SmsBackend:
    backend: SmsBackend = import_string(path)()
    return backend


def sms_backend() -> SmsBackend:
    """The configured backend (one instance per class)."""
    return _backend(settings.PALLIO_PATIENT_SMS_BACKEND)


def sms_send(*, to: str, body: str) -> None:
    """Send one text message; raises OSError when it could not be handed over."""
    sms_backend().send(to=to, body=body)

"""Sample threads for tests and for the project's URL-and-role access walk."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from pallio.acp.tests.factories import png_bytes
from pallio.messaging.models import MessageAttachment, Thread
from pallio.messaging.services import thread_start_portal
from pallio.portal.tests.factories import patient_account


def photo(name: str = "rash.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def alice_thread(world: Any, *, body: str = "Could we move Thursday's visit?") -> Thread:
    """A thread alice started from her own portal account, with one photo; made once per
    world."""
    cached = getattr(world, "_sample_thread", None)
    if cached is not None:
        return cached
    from pallio.accounts.models import User

    user = User.objects.filter(username="alice.portal").first() or patient_account(world.alice)
    sent = thread_start_portal(
        actor=user,
        patient_id=world.alice.pk,
        subject="Visit on Thursday",
        body=body,
        files=[photo()],
    )
    world._sample_thread = sent.thread
    return sent.thread


def alice_attachment(world: Any) -> MessageAttachment:
    return MessageAttachment.objects.get(message__thread=alice_thread(world))

"""Background work for referrals: sending letters to referrers."""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from pallio.core import clock
from pallio.referrals.models import Letter

log = logging.getLogger(__name__)


@task()
def letter_send(*, letter_id: str) -> bool:
    """Send one letter. Safe to run twice: a sent letter is never sent again."""
    with transaction.atomic():
        letter = Letter.objects.select_for_update().filter(pk=letter_id).first()
        if letter is None or letter.sent_at is not None or not letter.to_email:
            return False
        letter.attempts += 1
        try:
            EmailMessage(subject=letter.subject, body=letter.body, to=[letter.to_email]).send()
        except OSError as exc:
            letter.last_error = type(exc).__name__
            letter.save(update_fields=["attempts", "last_error"])
            log.warning("letter %s not sent: %s", letter.pk, type(exc).__name__)
            raise
        letter.sent_at = clock.now()
        letter.last_error = ""
        letter.save(update_fields=["attempts", "last_error", "sent_at"])
    return True

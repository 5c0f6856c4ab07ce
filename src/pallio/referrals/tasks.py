"""Background work for referrals: sending letters to referrers.

Delivery is at-least-once with an idempotent effect: a letter is marked sent inside a row
lock, so a duplicated or retried task never sends it twice. A failed send is retried with
growing delays; `pallio letters retry` re-queues every unsent letter at once (after an
outage of the mail server, or a worker that died mid-task).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from pallio.core import clock
from pallio.referrals.models import Letter

log = logging.getLogger(__name__)

# Minutes to wait before the next attempt, by the number of attempts made so far.
RETRY_DELAYS_MINUTES = (1, 5, 15, 60, 240, 720)


def letter_enqueue(letter_id: str, *, delay: timedelta | None = None) -> None:
    runner = letter_send if delay is None else letter_send.using(run_after=clock.now() + delay)
    runner.enqueue(letter_id=letter_id)


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
            log.warning(
                "letter %s not sent (attempt %s): %s",
                letter.pk,
                letter.attempts,
                type(exc).__name__,
            )
            if letter.attempts <= len(RETRY_DELAYS_MINUTES):
                delay = timedelta(minutes=RETRY_DELAYS_MINUTES[letter.attempts - 1])
                transaction.on_commit(lambda: letter_enqueue(letter_id, delay=delay))
            return False
        letter.sent_at = clock.now()
        letter.last_error = ""
        letter.save(update_fields=["attempts", "last_error", "sent_at"])
    return True


def letters_retry_unsent() -> int:
    """Queue every unsent letter for an immediate attempt; returns how many."""
    ids = [
        str(pk)
        for pk in Letter.objects.filter(sent_at__isnull=True)
        .exclude(to_email="")
        .values_list("pk", flat=True)
    ]
    for letter_id in ids:
        letter_enqueue(letter_id)
    return len(ids)

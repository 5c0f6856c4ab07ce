"""Demo visit summaries for `make run`: every signed visit note of the demo gets its summary,
most delivered, a few failed with the reasons real mail servers give.

Call after the visits demo has written its signed notes:

    from pallio.visits.summary_demo import summaries_demo_populate
    summaries_demo_populate(program=program, rng=random.Random(seed))

The summaries are built by the same service as a signature builds them (so they read the
record the same way and leave the same audit trail); their delivery is recorded here rather
than queued, so starting the worker sends nothing to the demo's made-up addresses.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from pallio.core import clock
from pallio.visits.models import SummaryDelivery, VisitNote, VisitSummary
from pallio.visits.summaries import summary_build

# What recipients' mail servers answer when a summary cannot be delivered.
DEMO_FAILURES = (
    "The recipient's mail server refused the address (550 5.1.1 User unknown).",
    "The recipient's mail server refused the address (554 5.7.1 Message rejected by policy).",
    "The recipient's mail server refused the address (552 5.2.2 Mailbox full).",
    "The mail server did not answer in time.",
)


def summaries_demo_populate(
    *, program: Any, rng: random.Random, failed: int = 4, limit: int = 400
) -> dict[str, int]:
    """Summaries for the program's signed visit notes that have none (newest first, up to
    `limit`); all deliveries of `failed` of them failed, the rest sent minutes after signing.
    Returns counts for the demo command's summary line."""
    notes = list(
        VisitNote.objects.filter(
            program=program, status=VisitNote.Status.SIGNED, entered_in_error=False
        )
        .exclude(visit__summary__isnull=False)
        .select_related("signed_by", "cosigned_by")
        .order_by("-signed_at")[:limit]
    )
    counts = {"summaries": 0, "sent": 0, "failed": 0}
    # Fail a few of those with recipients, among the older ones so the late list shows them.
    with_recipients = []
    for note in notes:
        actor = note.cosigned_by or note.signed_by
        summary = summary_build(actor=actor, note=note, send=False)
        if summary is None:
            continue
        final_at = note.cosigned_at or note.signed_at or clock.now()
        VisitSummary.objects.filter(pk=summary.pk).update(created_at=final_at, updated_at=final_at)
        counts["summaries"] += 1
        if summary.deliveries.exists():
            with_recipients.append((summary, final_at))
    now = clock.now()
    older = [pair for pair in with_recipients if now - pair[1] > timedelta(days=3)]
    failing = set(s.pk for s, _ in rng.sample(older, min(failed, len(older))))
    for summary, final_at in with_recipients:
        for delivery in summary.deliveries.all():
            if summary.pk in failing:
                attempts = rng.randint(3, 7)
                SummaryDelivery.objects.filter(pk=delivery.pk).update(
                    status=SummaryDelivery.Status.FAILED,
                    attempts=attempts,
                    last_error=rng.choice(DEMO_FAILURES),
                    created_at=final_at,
                    updated_at=final_at + timedelta(hours=attempts),
                )
                counts["failed"] += 1
            else:
                sent_at = min(final_at + timedelta(minutes=rng.randint(1, 20)), now)
                SummaryDelivery.objects.filter(pk=delivery.pk).update(
                    status=SummaryDelivery.Status.SENT,
                    attempts=1,
                    sent_at=sent_at,
                    created_at=final_at,
                    updated_at=sent_at,
                )
                counts["sent"] += 1
    return counts

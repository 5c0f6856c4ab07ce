"""Visit summaries: built when a visit's note is finally signed, delivered by the worker."""

from __future__ import annotations

from typing import Any


def summary_create_for_note(*, actor: Any, note: Any) -> Any:
    """Build the visit's summary from the signed note and queue its deliveries.

    Called by the note services once a note is final (signed, and co-signed when a trainee
    wrote it). Returns the VisitSummary, or None when the visit already has one.
    """
    return None

"""Reads of the support line that other parts of Pallio use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pallio.core import clock
from pallio.support.models import Line, Shift


def on_call_now(*, program: Any, line: str = Line.FIRST, at: datetime | None = None) -> Any:
    """The person covering ``line`` for the program at ``at`` (now by default), or None."""
    when = at or clock.now()
    shift = (
        Shift.objects.filter(
            program=program, line=line, cancelled=False, starts_at__lte=when, ends_at__gt=when
        )
        .select_related("user")
        .order_by("-starts_at")
        .first()
    )
    return shift.user if shift is not None else None

"""The one clock. Tests freeze it with ``clock.frozen(...)``; code calls ``clock.now()``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else timezone.now()


def today_in(tz_name: str) -> date:
    return now().astimezone(ZoneInfo(tz_name)).date()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    global _frozen
    if timezone.is_naive(at):
        raise ValueError("freeze the clock with an aware datetime")
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous

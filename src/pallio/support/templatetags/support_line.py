"""Template filters of the 24/7 line."""

from __future__ import annotations

from datetime import timedelta

from django import template

from pallio.core.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number as people read it."""
    return phone_display(value or "")


@register.filter
def duration_minutes(value: timedelta | None) -> str:
    """'12 min after the call' / '1 h 05 min after the call'."""
    if value is None:
        return ""
    minutes = max(0, int(value.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    text = f"{hours} h {rest:02d} min" if hours else f"{rest} min"
    return f"{text} after the call"

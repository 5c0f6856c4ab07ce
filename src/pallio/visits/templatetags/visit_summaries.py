"""Template helpers for the visit summary status shown on a visit's note."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.core import access

register = template.Library()


@register.filter
def may_resend_summary(user: Any) -> bool:
    """Whether `user` may send a failed summary again (the rule the resend view enforces)."""
    from pallio.visits.summary_views import PERM

    return access.has_perm(user, PERM)

"""The escalations panel any page can include (the on-call screen does): it reads the
escalated calls the signed-in user may see through the audited selector."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.core.access import has_perm
from pallio.support.escalation import escalations_open_for

register = template.Library()


@register.filter
def minutes(value: Any) -> str:
    """A waiting time in whole minutes: "1 minute", "17 minutes"."""
    if value is None:
        return ""
    count = max(0, round(value.total_seconds() / 60))
    return f"{count} minute{'' if count == 1 else 's'}"


@register.inclusion_tag("support/_escalations_panel.html", takes_context=True)
def escalations_panel(context: Any) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    allowed = has_perm(user, "support.escalations")
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "escalations_allowed": allowed,
        "escalated_calls": escalations_open_for(user) if allowed else [],
        "escalations_next": request.get_full_path(),
    }

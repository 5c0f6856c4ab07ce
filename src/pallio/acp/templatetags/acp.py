"""Template tags that put advance care planning on other apps' pages (the chart)."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.acp.selectors import acp_chart_summary
from pallio.acp.selectors import current_code_status as _current

register = template.Library()


@register.inclusion_tag("acp/parts/code_status_badge.html")
def current_code_status(patient: Any) -> dict[str, Any]:
    """The current code status and its date, for the chart header on every patient page."""
    return {"status": _current(patient), "patient": patient}


@register.inclusion_tag("acp/parts/chart_section.html")
def acp_chart_section(patient: Any) -> dict[str, Any]:
    return acp_chart_summary(patient)

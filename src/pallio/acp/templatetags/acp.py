"""Template tags that put advance care planning on other apps' pages (the chart)."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.acp.rules import NO_CPR
from pallio.acp.selectors import acp_chart_summary
from pallio.acp.selectors import current_code_status as _current

register = template.Library()


@register.inclusion_tag("acp/parts/code_status_badge.html")
def current_code_status(patient: Any, chart: Any = None) -> dict[str, Any]:
    """The current code status and its date, for the chart header on every patient page
    (the chart gives what it has read already).

    A status that refuses resuscitation is marked apart from full code, so it stands out.
    """
    status = next(iter(chart["acp_code_status"]), None) if chart else _current(patient)
    refuses_cpr = status is not None and status.status in NO_CPR
    return {"status": status, "refuses_cpr": refuses_cpr, "patient": patient}


@register.inclusion_tag("acp/parts/chart_section.html")
def acp_chart_section(patient: Any, chart: Any = None) -> dict[str, Any]:
    return chart["acp"] if chart else acp_chart_summary(patient)

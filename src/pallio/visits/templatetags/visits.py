"""Template tags that put visit notes on other apps' pages (the chart)."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.visits.selectors import visit_notes_chart_section_for

register = template.Library()


@register.inclusion_tag("visits/_chart_notes.html", takes_context=True)
def visits_chart_section(context: Any, patient: Any) -> dict[str, Any]:
    """The latest notes of a patient the chart has already reached:
    ``{% load visits %}{% visits_chart_section patient %}``."""
    return visit_notes_chart_section_for(context["user"], patient)

"""Template tags that put hospital stays on other apps' pages (the chart)."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.episodes.stay_selectors import stays_chart_summary

register = template.Library()


@register.inclusion_tag("episodes/parts/chart_section.html")
def stays_chart_section(patient: Any, chart: Any = None) -> dict[str, Any]:
    return chart["stays"] if chart else stays_chart_summary(patient)

"""The assessments pieces other pages show: the chart section, the open-alert count, and the
caseload's symptom-burden sparkline."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import format_html

from pallio.assessments import selectors

register = template.Library()


@register.inclusion_tag("assessments/_chart_section.html")
def assessments_chart_section(patient: Any) -> dict[str, Any]:
    """Latest scores, open alerts and the phase of care, for a patient already checked."""
    return selectors.chart_summary(patient)


@register.simple_tag
def open_alert_count(patient: Any) -> str:
    count = selectors.open_alert_count(patient)
    if not count:
        return "None open"
    return f"{count} open"


@register.simple_tag
def symptom_sparkline(values: Any) -> str:
    """A sparkline canvas for a list of ESAS-r totals (drawn by trends.js)."""
    if not values:
        return "—"
    numbers = [round(float(v), 1) for v in values]
    return format_html(
        '<canvas class="sparkline" width="100" height="24" data-values="{}" role="img" '
        'aria-label="Symptom burden, last {} reports: latest {}"></canvas>',
        json.dumps(numbers),
        len(numbers),
        numbers[-1],
    )

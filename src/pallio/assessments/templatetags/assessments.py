"""The assessments pieces other pages show: the chart section, the open-alert count, and the
caseload's symptom-burden sparkline."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from pallio.assessments import selectors

register = template.Library()


@register.inclusion_tag("assessments/_chart_section.html")
def assessments_chart_section(patient: Any, chart: Any = None) -> dict[str, Any]:
    """Latest scores, open alerts and the phase of care, for a patient already checked (the
    chart gives what it has read already)."""
    return {**chart["assessments"], "chart": chart} if chart else selectors.chart_summary(patient)


@register.simple_tag
def open_alert_count(patient: Any, chart: Any = None) -> str:
    count = chart["assessments_open_alert_count"] if chart else selectors.open_alert_count(patient)
    if not count:
        return "None open"
    return f"{count} open"


# ESAS-r totals run 0-90 (nine items 0-10, CLINICAL.md section 2).
SPARK_MAX = 90.0
# The line spans the patient's own range (at least this many points), so that a change shows;
# the latest total is printed beside it and said in words.
SPARK_MIN_SPAN = 12.0
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 100, 28, 3


@register.simple_tag
def symptom_sparkline(values: Any) -> str:
    """An inline SVG sparkline of ESAS-r totals, oldest first, drawn on the server so that it
    shows without JavaScript; the latest total is said in words for screen readers."""
    if not values:
        return mark_safe(
            '<span aria-hidden="true">—</span><span class="visually-hidden">No symptom reports '
            "in the last 24 weeks</span>"
        )
    numbers = [min(max(float(v), 0.0), SPARK_MAX) for v in values]
    low, high = min(numbers), max(numbers)
    if high - low < SPARK_MIN_SPAN:
        middle = (high + low) / 2
        low = min(max(middle - SPARK_MIN_SPAN / 2, 0.0), SPARK_MAX - SPARK_MIN_SPAN)
        high = low + SPARK_MIN_SPAN
    inner_w = SPARK_WIDTH - 2 * SPARK_PAD
    inner_h = SPARK_HEIGHT - 2 * SPARK_PAD
    step = inner_w / (len(numbers) - 1) if len(numbers) > 1 else 0.0
    points = [
        (
            SPARK_PAD + (i * step if len(numbers) > 1 else inner_w / 2),
            SPARK_PAD + inner_h * (1 - (v - low) / (high - low)),
        )
        for i, v in enumerate(numbers)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    latest = f"{numbers[-1]:g}"
    label = (
        f"Symptom burden (ESAS-r total, 0 to 90): latest {latest}, "
        f"{len(numbers)} report{'s' if len(numbers) != 1 else ''}"
    )
    if len(numbers) > 1:
        change = numbers[-1] - numbers[0]
        label += (
            f", {'up' if change > 0 else 'down'} {abs(change):g} since the first"
            if change
            else ", unchanged"
        )
    return format_html(
        '<span class="sparkline-wrap" data-testid="sparkline">'
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}" focusable="false"><title>{}</title>'
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5" '
        'stroke-linejoin="round" stroke-linecap="round"></polyline>'
        '<circle cx="{}" cy="{}" r="2.2" fill="currentColor"></circle></svg> '
        '<span class="sparkline-value" aria-hidden="true">{}</span></span>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        label,
        path,
        f"{last_x:.1f}",
        f"{last_y:.1f}",
        latest,
    )


# The licence terms an instrument declares (instruments.LICENCE_TERMS), in words.
LICENCE_WORDS = {
    "free": "Free to use",
    "free-with-acknowledgement": "Free to use, with acknowledgement",
    "open-access": "Open access",
    "restricted": "Restricted: the wording needs a licence",
    "verify": "Licence not yet verified",
    "pallio": "Written for Pallio",
    "program": "The program's own",
}


@register.filter
def licence_words(terms: str) -> str:
    return LICENCE_WORDS.get(terms, terms.replace("-", " ").capitalize())

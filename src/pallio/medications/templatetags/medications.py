"""The medication pieces other pages show: the chart's opioid totals and the allergy line."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.medications import catalog, selectors

register = template.Library()


@register.inclusion_tag("medications/_chart_section.html")
def medications_chart_section(patient: Any, chart: Any = None) -> dict[str, Any]:
    """MME totals (scheduled and as-needed apart, with what is not counted) and drugs awaiting
    a pharmacist, for a patient already checked (the chart gives what it has read)."""
    return chart["medications"] if chart else selectors.medication_chart_summary(patient)


@register.inclusion_tag("medications/_allergy_summary.html")
def allergy_summary(patient: Any, chart: Any = None) -> dict[str, Any]:
    """The allergy list in one line, for the chart header on every patient page (the chart
    gives the rows it has read)."""
    from pallio.medications.allergies import allergies_for

    return {"allergies": allergies_for(patient, chart["medications_allergies"] if chart else None)}


@register.filter
def route_display(key: str) -> str:
    """A route in words ("oral" -> "By mouth (oral)"); a route Pallio does not know, as typed."""
    return catalog.route_display(key)

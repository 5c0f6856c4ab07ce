"""The medication pieces other pages show: the chart's opioid totals and the allergy line."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.medications import catalog, selectors

register = template.Library()


@register.inclusion_tag("medications/_chart_section.html")
def medications_chart_section(patient: Any) -> dict[str, Any]:
    """MME totals (scheduled and as-needed apart, with what is not counted) and drugs awaiting
    a pharmacist, for a patient already checked."""
    return selectors.medication_chart_summary(patient)


@register.inclusion_tag("medications/_allergy_summary.html")
def allergy_summary(patient: Any) -> dict[str, Any]:
    """The allergy list in one line, for the chart header on every patient page."""
    from pallio.medications.allergies import allergies_for

    return {"allergies": allergies_for(patient)}


@register.filter
def route_display(key: str) -> str:
    """A route in words ("oral" -> "By mouth (oral)"); a route Pallio does not know, as typed."""
    return catalog.route_display(key)

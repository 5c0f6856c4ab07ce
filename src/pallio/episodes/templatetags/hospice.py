"""The hospice section of the patient's chart: status in plain words and the way to the
eligibility aid and referrals (one query)."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.episodes.hospice import patient_hospice_status

register = template.Library()


@register.inclusion_tag("episodes/_chart_hospice.html")
def hospice_chart_section(patient: Any, chart: Any = None) -> dict[str, Any]:
    return {"patient": patient, "hospice_status": patient_hospice_status(patient, chart or None)}

"""The coordination card of the patient's chart: open orders and the latest closed ones."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.coordination.selectors import chart_orders_of

register = template.Library()


@register.inclusion_tag("coordination/_chart_orders.html")
def coordination_chart_section(patient: Any, chart: Any = None) -> dict[str, Any]:
    return chart["coordination"] if chart else chart_orders_of(patient)

"""``{% load privileges %}{% if user|can:"medication.add" %}``: show only what a user may do."""

from __future__ import annotations

from typing import Any

from django import template

from pallio.core import privileges

register = template.Library()


@register.filter
def can(user: Any, action: str) -> bool:
    return privileges.can(user, action)

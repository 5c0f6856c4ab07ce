"""`{% if access|portal_can:"diary" %}`: whether a portal access allows a scope
(PortalAccess.can)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def portal_can(access: Any, scope: str) -> bool:
    return bool(access is not None and access.can(str(scope)))

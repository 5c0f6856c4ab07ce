"""`access|portal_can:"messages"`: whether a PortalAccess allows a scope (PortalAccess.can)."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def portal_can(access: Any, scope: str) -> bool:
    return bool(access is not None and access.can(scope))

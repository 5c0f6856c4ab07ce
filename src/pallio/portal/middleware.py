"""Portal accounts stay in the portal: whatever address they ask for outside it is refused
(the start page sends them to the portal's). Staff accounts are refused by the portal's own
rule (portal.access)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from pallio.portal.access import is_portal_user

# What a portal account may reach besides the portal: signing out, its password and second
# factor (django-allauth), static files, the health check and the language choice.
PORTAL_ALLOWED_PREFIXES = (
    "/portal/",
    "/accounts/",
    "/static/",
    "/healthz",
    "/i18n/",
)


class PortalSeparationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_portal_user(request.user) and not request.path.startswith(PORTAL_ALLOWED_PREFIXES):
            if request.path == "/":
                return redirect("portal:home")
            raise PermissionDenied
        return self.get_response(request)

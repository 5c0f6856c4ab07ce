"""The error pages: 403, 404 and 500 inside the site's layout, each with a way back.

The 403 and 404 pages are rendered with the request (the signed-in user's menu stays). The
500 page is rendered without it: no context processor runs, so it needs neither the database
nor a signed-in user, and shows even when the database is what failed.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

CSRF_REFUSAL = (
    "This form was open too long, or was sent from another site, so it was not accepted. "
    "Go back, reload the page and try again."
)


def back_link(request: HttpRequest) -> str:
    """The page the user came from, when it is one of ours and not this very page; else ""."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or len(referer) > 2000:
        return ""
    try:
        host = request.get_host()
        here = request.build_absolute_uri()
    except Exception:  # a disallowed host: no way back through it
        return ""
    if referer == here or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return ""
    return referer


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"back": back_link(request), "home_url": reverse("home"), **extra}


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the same page for a missing record and one the user may not see (SECURITY.md 2)."""
    return render(request, "404.html", _context(request), status=404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: the refusal's own words when the code gave some, else a general one."""
    message = str(exception) if exception is not None else ""
    return render(request, "403.html", _context(request, exception=message), status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form (CSRF check failed): the 403 page with words a user can act on."""
    return render(request, "403.html", _context(request, exception=CSRF_REFUSAL), status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without the request, so nothing on it reads the database or the user."""
    template = loader.get_template("500.html")
    body = template.render({"back": back_link(request), "home_url": reverse("home")})
    return HttpResponseServerError(body)

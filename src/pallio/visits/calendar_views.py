"""The clinician's calendar feed: the page to make, replace or revoke it, and the feed
itself, which calendar apps fetch without signing in (the secret in its address is the
credential)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pallio.core.access import public_view, staff_view
from pallio.visits import calendar_feed
from pallio.visits.services import calendar_feeds

# The new feed's address waits in the session from the POST that made it to the page that
# shows it, and is removed as it is shown: the address is shown once, and a reload of the page
# does not make another feed.
NEW_URL_KEY = "calendar_feed_new_url"


@staff_view("visit.view")
@require_GET
def feed_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not calendar_feeds.may_have_feed(user):
        raise PermissionDenied(calendar_feeds.NOT_A_CLINICIAN)
    feed = calendar_feed.feed_active_of(user)
    url = str(request.session.pop(NEW_URL_KEY, "") or "")
    context = {"feed": feed, "url": url if feed is not None else ""}
    return render(request, "visits/calendar_feed.html", context)


@staff_view("visit.view")
@require_POST
def feed_create(request: HttpRequest) -> HttpResponse:
    """Make a new feed (revoking any earlier one); the page then shows its address, once."""
    user: Any = request.user
    _feed, secret = calendar_feeds.calendar_feed_create(actor=user)
    url = request.build_absolute_uri(reverse("visits:calendar_ics", kwargs={"feed_secret": secret}))
    request.session[NEW_URL_KEY] = url
    return redirect("visits:calendar_feed")


@staff_view("visit.view")
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if calendar_feeds.calendar_feed_revoke(actor=user):
        messages.success(request, "Calendar feed turned off. Its address no longer works.")
    else:
        messages.info(request, "You have no calendar feed to turn off.")
    return redirect("visits:calendar_feed")


@public_view
@require_GET
def feed_ics(request: HttpRequest, feed_secret: str) -> HttpResponse:
    """The feed: no session; an unknown or revoked address is a plain 404."""
    body = calendar_feed.feed_fetch(feed_secret)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Content-Disposition"] = 'inline; filename="visits.ics"'
    return response

"""Throttled sign-in answers: always 429 with Retry-After and a page that says why.

Failed sign-ins are counted per (username, address) pair, so neither a hospital's shared
address nor a guessed username can lock out the rest of the team.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

_DURATION = re.compile(r"^\s*\d+\s*/\s*(\d*)\s*([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_window_seconds(rates: str) -> int:
    """The longest window in an allauth rate string such as "30/m/ip,5/5m/key"."""
    longest = 60
    for rate in rates.split(","):
        match = _DURATION.match(rate)
        if match:
            longest = max(longest, int(match.group(1) or 1) * _SECONDS[match.group(2)])
    return longest


def sign_in_retry_after() -> int:
    return rate_window_seconds(settings.ACCOUNT_RATE_LIMITS.get("login_failed", ""))


def throttled_response(
    request: HttpRequest, *, retry_after: int, title: str, reason: str
) -> HttpResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(
        request,
        "accounts/throttled.html",
        {"title": title, "reason": reason, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer once a (username, address) pair reached the failure limit."""
    return throttled_response(
        request,
        retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds()),
        title="Too many failed sign-in attempts",
        reason=(
            "This username has had too many wrong passwords from this network address, so "
            "signing in with it from here is paused to protect patients' records. Other "
            "staff, and this username from another address, can still sign in."
        ),
    )


def too_many_requests(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """Any other throttled request (django's handler429, used by allauth)."""
    return throttled_response(
        request,
        retry_after=sign_in_retry_after(),
        title="Too many attempts",
        reason="There were too many attempts in a short time, so this is paused for a while.",
    )

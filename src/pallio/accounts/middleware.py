"""Session rules: MFA before anything but the sign-in pages, idle and absolute timeouts."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from pallio.accounts.throttle import lockout_response, sign_in_retry_after, throttled_response

# Paths that need no second factor: signing in and out, enrolling a factor, the public
# referral forms, static files, the health check. The JSON API authenticates on its own.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/p/", "/healthz", "/api/")

LOGIN_AT_SESSION_KEY = "pallio_login_at"


def session_has_mfa(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and settings.PALLIO_REQUIRE_MFA
            # A portal account may add a second factor; allauth asks for it at sign-in then.
            and getattr(user, "kind", "staff") == "staff"
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not session_has_mfa(request)
        ):
            if is_mfa_enabled(user):
                # A factor exists but this session never proved it: sign in again.
                logout(request)
                messages.info(request, "Sign in again with your authenticator code.")
                return redirect(settings.LOGIN_URL)
            messages.info(
                request,
                "Set up your authenticator app before you continue: Pallio protects "
                "patients' records with a second factor.",
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """The idle and absolute timeouts of a signed-in session.

    The absolute limit: a session ends this long after sign-in, however busy it was.

    The idle limit, exact without writing the session on every request: each response to a
    signed-in user carries a "last seen" cookie, the time of that response signed with the
    secret key and bound to the session's key (a cookie from another session, or altered, is
    worth nothing). A request whose last-seen time (the newer of the cookie's and the one the
    session recorded at sign-in) is older than the idle timeout ends the session on the
    server. The session row itself is written only when its content changes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(LOGIN_AT_SESSION_KEY)
            if started is None:
                request.session[LOGIN_AT_SESSION_KEY] = now
                request.session[SEEN_AT_SESSION_KEY] = now
            elif now - float(started) > settings.PALLIO_ABSOLUTE_SESSION_HOURS * 3600:
                return _end_session(request, "Your session has ended. Please sign in again.")
            elif now - last_seen(request) > settings.PALLIO_IDLE_TIMEOUT_MINUTES * 60:
                return _end_session(
                    request,
                    "You were signed out after "
                    f"{settings.PALLIO_IDLE_TIMEOUT_MINUTES} minutes without activity. "
                    "Please sign in again.",
                )
        response = self.get_response(request)
        if request.user.is_authenticated and request.session.session_key:
            response.set_cookie(
                SEEN_COOKIE,
                _seen_signer(request.session.session_key).sign(f"{time.time():.3f}"),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        elif SEEN_COOKIE in request.COOKIES:
            response.delete_cookie(SEEN_COOKIE, samesite="Lax")
        return response


SEEN_COOKIE = "pallio_seen"
SEEN_AT_SESSION_KEY = "pallio_seen_at"


def _seen_signer(session_key: str) -> signing.Signer:
    digest = hashlib.sha256(session_key.encode()).hexdigest()
    return signing.Signer(salt=f"pallio.accounts.seen:{digest}")


def last_seen(request: HttpRequest) -> float:
    """When this session was last answered: the signed cookie's time when it is genuine and
    belongs to this session, else the time the session recorded at sign-in."""
    session = request.session
    recorded = float(session.get(SEEN_AT_SESSION_KEY) or session.get(LOGIN_AT_SESSION_KEY) or 0.0)
    cookie = request.COOKIES.get(SEEN_COOKIE)
    key = session.session_key
    if cookie and key:
        try:
            return max(recorded, float(_seen_signer(key).unsign(cookie)))
        except (signing.BadSignature, ValueError):
            pass
    return recorded


def _end_session(request: HttpRequest, why: str) -> HttpResponse:
    logout(request)
    messages.info(request, why)
    response = redirect(settings.LOGIN_URL)
    response.delete_cookie(SEEN_COOKIE, samesite="Lax")
    return response


# allauth's error codes when its sign-in or authenticator-code rate limit is reached.
THROTTLE_ERROR_CODES = frozenset({"too_many_login_attempts", "rate_limited"})


def _throttled(form: Any) -> bool:
    errors = getattr(form, "errors", None)
    if not errors:
        return False
    return any(
        error.code in THROTTLE_ERROR_CODES for field in errors.as_data().values() for error in field
    )


class ThrottledSignInMiddleware:
    """allauth answers a rate-limited sign-in or code with the form again (200) and a generic
    error; answer 429 with Retry-After and the reason instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "POST" or response.status_code != 200:
            return response
        context = getattr(response, "context_data", None) or {}
        if not _throttled(context.get("form")):
            return response
        if request.path == reverse("mfa_authenticate"):
            return throttled_response(
                request,
                retry_after=sign_in_retry_after(),
                title="Too many wrong authenticator codes",
                reason=(
                    "Too many wrong codes were entered for this account, so codes are not "
                    "checked for a while. Wait, then enter the code your authenticator app "
                    "shows at that time."
                ),
            )
        if AxesProxyHandler.is_locked(request):
            # The pair is locked out, for longer than allauth's window: say so.
            return lockout_response(request)
        return throttled_response(
            request,
            retry_after=sign_in_retry_after(),
            title="Too many failed sign-in attempts",
            reason=(
                "There were too many wrong passwords for this username from this network "
                "address, or too many sign-in attempts from this address, so signing in from "
                "here is paused. Other addresses are not affected."
            ),
        )

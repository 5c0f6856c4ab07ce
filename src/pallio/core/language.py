"""The language a page is shown in: the one the person chose (kept on their account), or
else the one their browser asks for (Accept-Language), or else English.

Django's LocaleMiddleware reads the language cookie and the browser's header; this
middleware, after authentication, puts the account's own choice first. The language view
keeps the choice on the account as well as in the cookie, so it follows the person to
another browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from pallio.core.access import public_view

LANGUAGE_CODES = frozenset(code for code, _ in settings.LANGUAGES)


def supported(code: str) -> str:
    """`code` if Pallio speaks it, else ""."""
    code = (code or "").strip().lower()
    return code if code in LANGUAGE_CODES else ""


class AccountLanguageMiddleware:
    """The signed-in person's chosen language wins over the cookie and the browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        chosen = supported(getattr(user, "language", "")) if user is not None else ""
        if chosen and getattr(user, "is_authenticated", False):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


@public_view
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language view (cookie, then back to `next`), and the choice kept on the
    account of a signed-in person."""
    response = django_set_language(request)
    code = supported(request.POST.get("language", ""))
    user: Any = request.user
    if code and user.is_authenticated and getattr(user, "language", None) != code:
        user.language = code
        user.save(update_fields=["language"])
    if code:
        translation.activate(code)
    return response

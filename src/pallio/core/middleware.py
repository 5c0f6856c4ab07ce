"""Keeps the client address of the current request for the audit trail."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

current_source_address: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_source_address", default=""
)


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_source_address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            current_source_address.reset(token)

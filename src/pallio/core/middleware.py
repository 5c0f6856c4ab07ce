"""Per-request context: the client address for the audit trail, and the program's time zone
so that times are shown where the program is (stored in UTC, DESIGN rule 6)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
        user = getattr(request, "user", None)
        program = getattr(user, "program", None) if user and user.is_authenticated else None
        if program is not None:
            timezone.activate(ZoneInfo(program.timezone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            current_source_address.reset(token)


# Browser features Pallio never uses; telehealth will ask for camera and microphone when it
# exists, on its own pages.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
)


class PrivateResponseMiddleware:
    """Every dynamic answer may carry patient information (pages, PDFs, FHIR, JSON): no browser
    or proxy keeps a copy (`Cache-Control: no-store`), and no page may use the camera,
    microphone, location or payment features. Static files are served before this runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

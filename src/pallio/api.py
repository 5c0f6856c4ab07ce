"""The JSON API: one NinjaAPI (OpenAPI 3 at /api/v1/openapi.json), mounted at /api/v1/.

The endpoints live with their domain (referrals/api.py, patients/api.py) and call the same
services and selectors as the pages. This module decides who is calling and how errors look:

- Staff authenticate with a personal token (``Authorization: Bearer <secret>``) or with the
  session of the signed-in page, which must have passed the second factor; a session also
  needs its CSRF token for anything but reads.
- Errors are ``{"detail": "..."}``, or for invalid input (422) ``{"detail": [{"loc": [...],
  "msg": "..."}]}`` whether pydantic or a service found the problem.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.types import DictStrAny
from ninja.utils import check_csrf

from pallio.accounts.middleware import session_has_mfa
from pallio.accounts.services import api_token_authenticate
from pallio.core.idempotency import IdempotencyConflict
from pallio.core.models import ConflictError


class BodyError(Exception):
    """A request body the API cannot read; the message says what to fix."""

    status = 400


class UnsupportedMediaType(BodyError):
    status = 415


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BodyError(f"The JSON names {key!r} twice; send each field once.")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise BodyError(f"{name} is not a JSON number.")


class StrictJSONParser(Parser):
    """JSON only, UTF-8, each key once, no NaN, and a bounded depth."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        if request.content_type != "application/json":
            raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError("The body is not UTF-8 text.") from None
        try:
            data = json.loads(
                text, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant
            )
        except RecursionError:
            raise BodyError("The JSON is nested too deeply.") from None
        except json.JSONDecodeError as exc:
            raise BodyError(
                f"The body is not valid JSON (line {exc.lineno}, column {exc.colno})."
            ) from None
        if not isinstance(data, dict):
            raise BodyError("Send a JSON object.")
        return data


class TokenAuth(HttpBearer):
    """A staff member's personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            raise AuthenticationError(
                401, "This API token is not valid: it is unknown, expired or revoked."
            )
        # So that history rows and the audit trail name the token's owner.
        request.user = user
        return user


class MFASessionAuth(APIKeyCookie):
    """The signed-in page's session, once it has passed the second factor."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers:
            return None  # a request bringing a token is judged by the token alone
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if settings.PALLIO_REQUIRE_MFA and not session_has_mfa(request):
            raise AuthenticationError(
                401, "Finish signing in with your authenticator code before using the API."
            )
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403, "CSRF check failed: send the page's CSRF token in the X-CSRFToken header."
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # unused: __call__ decides


api = NinjaAPI(
    title="Pallio API",
    version="1",
    description=(
        "Referrals and patients of a palliative care program. Authenticate with a personal "
        "API token (`pallio apitoken create USERNAME --name NAME`) sent as "
        "`Authorization: Bearer <secret>`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), MFASessionAuth()],
    parser=StrictJSONParser(),
)


def _error(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else "Sign in or send an API token."
    response = _error(request, 401, message)
    response["WWW-Authenticate"] = 'Bearer realm="pallio"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, BodyError):
        return _error(request, cause.status, str(cause))
    if isinstance(cause, RequestDataTooBig):
        return _too_big(request, cause)
    return _error(request, exc.status_code, exc.message)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "The request body is larger than the server accepts.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "Your role does not allow this.")


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return _error(request, 409, str(exc))


@api.exception_handler(IdempotencyConflict)
def _idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    # The service says what the key was used for ("... for a different referral").
    return _error(request, 409, f"{exc} Send a new key for a new request.")


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service refused the input: one entry per message, under the field it is about."""
    if hasattr(exc, "error_dict"):
        detail = [
            {"loc": ["body", name], "msg": message, "type": "invalid"}
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        detail = [{"loc": ["body"], "msg": message, "type": "invalid"} for message in exc.messages]
    return _error(request, 422, detail)


api.add_router("/referrals", "pallio.referrals.api.router", tags=["referrals"])
api.add_router("/patients", "pallio.patients.api.router", tags=["patients"])
api.add_router("/assessments", "pallio.assessments.api.router", tags=["assessments"])
api.add_router("/medications", "pallio.medications.api.router", tags=["medications"])
api.add_router("/care-plans", "pallio.careplans.api.router", tags=["care plans and tasks"])
api.add_router("/visits", "pallio.visits.api.router", tags=["visits"])
api.add_router("/support", "pallio.support.api.router", tags=["support line"])
api.add_router("/support/roster", "pallio.support.api_roster.router", tags=["support"])
api.add_router("/coordination", "pallio.coordination.api.router", tags=["coordination"])
api.add_router("/care-teams", "pallio.episodes.care_team_api.router", tags=["care teams"])
api.add_router("/fhir/Encounter", "pallio.episodes.stay_api.router", tags=["hospital stays"])
api.add_router(
    "/fhir/Appointment", "pallio.visits.appointment_api.router", tags=["appointments elsewhere"]
)

# Mounted with include("pallio.api") under /api/v1/.
app_name = "api"
urlpatterns = api.urls[0]

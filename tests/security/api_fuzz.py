"""Schemathesis over the JSON API's OpenAPI schema, in-process through the WSGI application.

Shared by the short run in tests/security/test_api_fuzz.py and the long one in
bench/fuzz_api.py: the schema comes from the Django Ninja API itself (what
/api/v1/openapi.json serves), each case is sent with a staff member's API token, and a case
fails when the answer is a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import strategies as st
from schemathesis import GenerationMode

from pallio.api import api

PREFIX = "/api/v1/"


def load_schema() -> Any:
    """The API's OpenAPI schema as schemathesis reads it (no request, no database)."""
    return schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=PREFIX))


def operations(schema: Any) -> dict[str, Any]:
    """Every operation of the schema by its label, e.g. ``GET /api/v1/referrals``."""
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.label] = operation
    return found


def case_strategy(operation: Any, known_ids: dict[str, str]) -> st.SearchStrategy[Any]:
    """Valid and invalid requests for `operation`; half of them name records that exist."""
    names = {p.name for p in operation.path_parameters}
    real = {name: value for name, value in known_ids.items() if name in names}
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if real:
        strategies += [
            operation.as_strategy(generation_mode=mode, path_parameters=real) for mode in modes
        ]
    return st.one_of(strategies)


@contextmanager
def in_process_app() -> Iterator[Any]:
    """The WSGI application, called within the caller's database transaction.

    Django closes the connection at the end of each request when it is not in autocommit,
    which would end a test's transaction; its own test client turns that off the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def send(case: Any, app: Any, secret: str) -> Any:
    """Send `case` with the token; the response, or the exception the app raised."""
    return case.call(app=app, headers={"Authorization": f"Bearer {secret}"})


def is_server_error(response: Any) -> bool:
    return int(response.status_code) >= 500

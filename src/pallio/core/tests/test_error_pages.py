"""The 403, 404 and 500 pages: inside the layout, a way back, a refusal logged in one line,
and a 500 page that renders with the database down."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from pallio.core.errors import CSRF_REFUSAL, server_error
from pallio.core.logging import SafeFormatter

HOME = reverse("home")
MISSING = "/patients/00000000-0000-0000-0000-000000000000/"


def request_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("django.request", "django.security"))]


def assert_one_line_without_traceback(records: list[logging.LogRecord], start: str) -> None:
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(start)
    assert record.exc_info is None
    line = SafeFormatter().format(record)
    assert "\n" not in line and "Traceback" not in line, line


def test_a_missing_page_is_inside_the_layout_with_a_way_back(world, as_user):
    client = as_user(world.navigator)
    response = client.get(MISSING)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert "Sign out" in page  # the site's layout, with the signed-in user's bar
    assert f'href="{HOME}">Go to your start page' in page
    assert "Back to the previous page" not in page  # nowhere to go back to


def test_the_way_back_is_the_previous_page_when_it_is_ours(world, as_user):
    client = as_user(world.navigator)
    caseload = "http://testserver" + reverse("episodes:caseload")
    page = client.get(MISSING, HTTP_REFERER=caseload).content.decode()
    assert f'href="{caseload}">Back to the previous page' in page
    # Another site's address is never offered as the way back.
    for foreign in ("https://evil.example/phish", "javascript:alert(1)", "//evil.example/"):
        page = client.get(MISSING, HTTP_REFERER=foreign).content.decode()
        assert "Back to the previous page" not in page
        assert "evil.example" not in page and "javascript:" not in page


def test_signed_out_a_missing_page_offers_the_start_page(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert f'href="{HOME}">Go to the start page' in page
    assert "Sign out" not in page


def test_a_refusal_is_inside_the_layout_with_a_way_back(world, as_user):
    client = as_user(world.privacy)
    audit = "http://testserver" + reverse("audit:log")
    response = client.get(reverse("episodes:caseload"), HTTP_REFERER=audit)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page and "Nothing was changed." in page
    assert "Sign out" in page
    assert f'href="{audit}">Back to the previous page' in page
    assert f'href="{HOME}">Go to your start page' in page


def test_a_refusal_is_logged_in_one_line_without_a_traceback(world, as_user, caplog):
    client = as_user(world.privacy)
    with caplog.at_level(logging.INFO):
        assert client.get(reverse("episodes:caseload")).status_code == 403
    assert_one_line_without_traceback(request_log(caplog), "Forbidden (Permission denied): ")


def test_a_missing_page_is_logged_in_one_line(world, as_user, caplog):
    client = as_user(world.navigator)
    with caplog.at_level(logging.INFO):
        assert client.get(MISSING).status_code == 404
    assert_one_line_without_traceback(request_log(caplog), "Not Found: ")


def test_a_disallowed_host_is_logged_in_one_line(db, caplog):
    with caplog.at_level(logging.INFO):
        assert Client().get("/healthz", HTTP_HOST="evil.example").status_code == 400
    records = request_log(caplog)
    assert len(records) == 1 and records[0].name == "django.security.DisallowedHost"
    assert records[0].exc_info is None and "\n" not in SafeFormatter().format(records[0])


def test_a_refused_form_gets_the_site_page_with_plain_words(world, caplog):
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("account_login"), {"login": "cora", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert CSRF_REFUSAL in page and "Go to the start page" in page
    assert "CSRF" not in page  # no internal words
    assert_one_line_without_traceback(request_log(caplog), "Forbidden (CSRF")


def test_the_500_page_shows_when_the_database_is_down(world, as_user, monkeypatch, caplog):
    client = as_user(world.navigator)
    client.raise_request_exception = False

    def down(self: BaseDatabaseWrapper) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", down)
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("episodes:caseload"))
    monkeypatch.undo()
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert f'href="{HOME}">Go to the start page' in page
    assert "connection refused" not in page and "Traceback" not in page
    assert "Sign out" not in page  # rendered without the user: nothing read to show it
    # A failure, unlike a refusal, keeps its traceback in the log.
    errors = [r for r in request_log(caplog) if r.levelno == logging.ERROR]
    assert errors and errors[0].exc_info is not None


def test_the_500_page_needs_neither_the_database_nor_the_user():
    """Without the db mark any query fails the test; touching the user fails it too."""
    request = RequestFactory().get("/caseload/", HTTP_REFERER="http://testserver/patients/")

    def no_user() -> AnonymousUser:
        raise AssertionError("the 500 page read the user")

    request.user = SimpleLazyObject(no_user)  # type: ignore[assignment]
    response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert 'href="http://testserver/patients/">Back to the previous page' in page
    assert '<main id="main"' in page  # the site's layout

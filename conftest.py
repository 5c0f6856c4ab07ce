from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("PALLIO_TESTING", "1")


def pytest_configure(config: pytest.Config) -> None:
    """The Spanish pages need compiled catalogues: compile any .po newer than its .mo."""
    from pallio.core.catalogues import compile_catalogues

    compile_catalogues(only_stale=True)
    # Tests that commit end by emptying every table: on PostgreSQL, by deleting the rows
    # rather than truncating 150 tables (tests/support/flush.py).
    from tests.support import flush

    flush.install()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, so that two workers finish together.

    The workers take whole files (`--dist loadfile`) in collection order. In that order the
    largest files came last (tests/security/), and one worker ran one of them alone for
    minutes while the other had nothing left. Files are sorted by their expected length, a
    browser test counting as ten others; the tests of a file keep their order.
    """
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def length(tests: list[pytest.Item]) -> int:
        return sum(10 if test.get_closest_marker("browser") else 1 for test in tests)

    longest_first = sorted(files.values(), key=length, reverse=True)
    items[:] = [test for tests in longest_first for test in tests]


# Property-based tests run the same examples on every run and on any machine: no deadline
# (a busy machine is not a failure), a fixed seed, and the failing example printed to replay.
hypothesis_settings.register_profile(
    "pallio",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pallio"))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.PALLIO_AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.log"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a Spanish page leaves Spanish active."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def world(db):
    from tests.support.personas import build_world

    return build_world()


@pytest.fixture
def mail_server(settings):
    """A real SMTP server (aiosmtpd) on a free local port, not yet started, with Django's
    mail settings pointed at it: `.start()` and `.stop()` bring it up and take it down."""
    from tests.test_letters_email import MailServer

    server = MailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def as_user(client):
    from tests.support.personas import login

    def sign_in(user):
        return login(client, user)

    return sign_in


@pytest.fixture(scope="module")
def audit_trail_deletable(django_db_setup, django_db_blocker):
    """Let a module's committed test data be emptied between tests.

    Tests that commit (the browser's live server, the background worker) end with a flush of
    every table, which the audit trail's append-only triggers refuse. A module whose tests do
    not test the audit trail takes them off for its duration; they are put back after.
    """
    from importlib import import_module

    from django.db import connection

    triggers = [
        import_module("pallio.audit.migrations.0002_append_only"),  # the events
        import_module("pallio.audit.migrations.0005_sealed_chain"),  # the seals
    ]
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for migration in reversed(triggers):
            migration.backwards(None, editor)
    yield
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for migration in triggers:
            migration.forwards(None, editor)

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PALLIO_TESTING", "1")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    from tests.support.personas import build_world

    return build_world()


@pytest.fixture
def as_user(client):
    from tests.support.personas import login

    def sign_in(user):
        return login(client, user)

    return sign_in

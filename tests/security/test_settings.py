"""Production settings, headers, cookies and logs (SECURITY.md 12, 16; DESIGN rule 9)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from pallio.core.logging import SafeFormatter
from tests.support.personas import PASSWORD, login

PROJECT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PALLIO_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pallio.settings",
            "PALLIO_ENV": "production",
            "PALLIO_SECRET_KEY": secrets.token_urlsafe(60)[:60],
            "PALLIO_ALLOWED_HOSTS": "pallio.example.org",
            "PALLIO_AUDIT_KEY": secrets.token_urlsafe(40),
            "PALLIO_VAR_DIR": str(tmp_path),
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


LOAD_SETTINGS = "import django; django.setup(); from django.conf import settings; settings.DEBUG"


@pytest.mark.parametrize(
    "overrides, complaint",
    [
        ({"PALLIO_DEBUG": "1"}, "PALLIO_DEBUG must be off"),
        ({"PALLIO_SECRET_KEY": None}, "PALLIO_SECRET_KEY"),
        ({"PALLIO_SECRET_KEY": "pallio-development-only-key-not-for-production"}, "SECRET_KEY"),
        ({"PALLIO_SECRET_KEY": "too-short-a-secret"}, "PALLIO_SECRET_KEY"),
        ({"PALLIO_ALLOWED_HOSTS": None}, "PALLIO_ALLOWED_HOSTS"),
        ({"PALLIO_ALLOWED_HOSTS": " , "}, "PALLIO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(tmp_path, overrides, complaint):
    result = run_python(LOAD_SETTINGS, production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_production_reads_the_secret_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(secrets.token_urlsafe(60) + "\n", encoding="utf-8")
    env = production_env(tmp_path, PALLIO_SECRET_KEY=None, PALLIO_SECRET_KEY_FILE=str(secret_file))
    code = LOAD_SETTINGS + "; print(settings.SECRET_KEY)"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == secret_file.read_text(encoding="utf-8").strip()


def test_deploy_check_is_clean_in_production_mode(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_and_transport_are_locked_down(tmp_path):
    code = LOAD_SETTINGS + (
        "; import json; print(json.dumps({k: getattr(settings, k) for k in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'PALLIO_REQUIRE_MFA')}))"
    )
    result = run_python(code, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["PALLIO_REQUIRE_MFA"] is True


def test_debug_is_off_unless_asked(tmp_path):
    env = production_env(tmp_path, PALLIO_ENV="development", PALLIO_SECRET_KEY=None)
    result = run_python(LOAD_SETTINGS + "; print(settings.DEBUG)", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


SECURE_SETTINGS = LOAD_SETTINGS + (
    "; import json; print(json.dumps({k: getattr(settings, k, None) for k in ("
    "'SECRET_KEY', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS')}))"
)


@pytest.mark.parametrize("mode", [None, "", "prod", "Producton", "staging", "dev"])
def test_an_unset_or_unknown_mode_without_a_secret_refuses_to_start(tmp_path, mode):
    """Only the explicit development mode may use the published development key."""
    env = production_env(
        tmp_path, PALLIO_ENV=mode, PALLIO_SECRET_KEY=None, PALLIO_ALLOWED_HOSTS=None
    )
    result = run_python(LOAD_SETTINGS, env)
    assert result.returncode != 0
    assert "Pallio will not start in production" in result.stderr
    assert "PALLIO_SECRET_KEY (or PALLIO_SECRET_KEY_FILE) must be set" in result.stderr
    assert "not development, so the production rules apply" in result.stderr
    assert "pallio-development-only-key" not in result.stdout


def test_the_pallio_command_refuses_too_when_the_mode_is_unset(tmp_path):
    env = production_env(tmp_path, PALLIO_ENV=None, PALLIO_SECRET_KEY=None)
    pallio = Path(sys.executable).with_name("pallio")
    result = subprocess.run(
        [str(pallio), "check"], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "PALLIO_SECRET_KEY (or PALLIO_SECRET_KEY_FILE) must be set" in result.stderr


@pytest.mark.parametrize("mode", [None, "staging"])
def test_an_unset_or_unknown_mode_with_a_real_secret_runs_with_production_rules(tmp_path, mode):
    result = run_python(SECURE_SETTINGS, production_env(tmp_path, PALLIO_ENV=mode))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000


def test_explicit_development_mode_starts_with_the_development_key(tmp_path):
    env = production_env(
        tmp_path, PALLIO_ENV="development", PALLIO_SECRET_KEY=None, PALLIO_ALLOWED_HOSTS=None
    )
    result = run_python(SECURE_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECRET_KEY"] == "pallio-development-only-key-not-for-production"
    assert not values["SESSION_COOKIE_SECURE"]


def test_production_with_a_secret_starts_with_secure_cookies_and_hsts(tmp_path):
    result = run_python(SECURE_SETTINGS, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000


def test_make_run_sets_the_explicit_development_mode():
    result = subprocess.run(
        ["make", "-p", "-n", "-q", "help"], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    targets = re.findall(r"^(\w+): PALLIO_ENV \??= development$", result.stdout, re.M)
    assert {"run", "demo", "migrate"} <= set(targets), targets


def _script_sources(policy: str) -> list[str]:
    directives = {
        part.strip().split()[0]: part.strip().split()[1:]
        for part in policy.split(";")
        if part.strip()
    }
    return directives.get("script-src", directives.get("default-src", []))


def _assert_security_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    sources = _script_sources(policy)
    assert sources, policy
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_pages_carry_the_security_headers(world, as_user):
    anonymous = Client()
    for url in (
        reverse("account_login"),
        reverse("referrals:provider", kwargs={"slug": "riverside"}),
    ):
        response = anonymous.get(url)
        assert response.status_code == 200
        _assert_security_headers(response)
    client = as_user(world.coordinator)
    for url in (
        reverse("referrals:queue"),
        reverse("patients:chart", kwargs={"patient_id": world.alice.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        _assert_security_headers(response)


@pytest.mark.django_db
def test_pages_contain_no_inline_script(world, as_user):
    """With CSP forbidding inline script, an inline <script> would simply not run."""
    client = as_user(world.coordinator)
    pages = [
        client.get(reverse("referrals:queue")),
        client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk})),
        Client().get(reverse("referrals:provider", kwargs={"slug": "riverside"})),
    ]
    for response in pages:
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script {tag} on {response.request['PATH_INFO']}"
        assert " onclick=" not in html and " onload=" not in html


@pytest.mark.django_db
def test_cookies_are_httponly_and_samesite(world):
    client = Client()
    client.get(reverse("account_login"))
    response = client.post(
        reverse("account_login"), {"login": world.coordinator.username, "password": "x"}
    )
    assert response.status_code in (200, 302)
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"].lower() in ("lax", "strict")
    # The password step saves the session (the sign-in is half done): its cookie.
    response = Client().post(
        reverse("account_login"), {"login": world.coordinator.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"].lower() in ("lax", "strict")
    # A signed-in page renews the idle timeout's last-seen cookie, not the session.
    login(client, world.coordinator)
    response = client.get(reverse("referrals:queue"))
    seen = response.cookies["pallio_seen"]
    assert seen["httponly"] and seen["samesite"].lower() in ("lax", "strict")
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_log_lines_cannot_be_forged_with_cr_lf():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("pallio.tests.security.injection")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sign-in failed for %s", "cora\r\nINFO sign-in succeeded for admin")
        logger.warning("tab\there and \x1b[31mcolour\x1b[0m and \u2028 separator")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "\\r\\n" in lines[0]
    assert not lines[1].count("\x1b")
    assert not any(line.startswith("INFO") for line in lines)


def test_the_configured_log_handlers_use_the_safe_formatter():
    formatters = settings.LOGGING["formatters"]
    for name, handler in settings.LOGGING["handlers"].items():
        formatter = formatters[handler["formatter"]]
        assert formatter.get("()") == "pallio.core.logging.SafeFormatter", name


def test_the_served_application_keeps_what_it_loaded_at_start_out_of_full_collections(
    tmp_path,
):
    """The server's full garbage collections walked every object loaded at start and held
    one chart in ten for about 150 ms (docs/performance.md): the WSGI module freezes them."""
    code = "import gc; import pallio.wsgi; print(gc.get_freeze_count())"
    result = run_python(code, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 10_000

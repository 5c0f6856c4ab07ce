"""Signing in for real (SECURITY.md 8-11): password, then authenticator code, then pages.

These tests go through django-allauth's own pages with a TOTP authenticator, django-axes'
lockout and the session middleware; nothing here uses force_login except where a test is
about what happens after sign-in.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pallio.accounts.middleware import LOGIN_AT_SESSION_KEY
from pallio.accounts.services import staff_deactivate
from pallio.episodes.models import CareTeamMember
from pallio.episodes.services import care_team_end
from tests.security.helpers import birth_date_forms, body_of
from tests.support.personas import PASSWORD, login

LOGIN = "/accounts/login/"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
MFA_ACTIVATE = "/accounts/2fa/totp/activate/"


def with_totp(user) -> pyotp.TOTP:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return pyotp.TOTP(secret)


def sign_in_password(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": username, "password": password})


def sign_in(client: Client, user, totp: pyotp.TOTP, code: str | None = None):
    first = sign_in_password(client, user.username)
    assert first.status_code == 302 and first["Location"] == MFA_AUTHENTICATE, (
        "a user with an authenticator must be asked for a code after the password"
    )
    return client.post(MFA_AUTHENTICATE, {"code": code or totp.now()})


def alice_phi(world) -> list[str]:
    alice = world.alice
    return [alice.family_name, alice.mrn, *birth_date_forms(alice.birth_date)]


def signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_password_then_code_reaches_the_referral_queue(world, client):
    totp = with_totp(world.coordinator)
    response = sign_in(client, world.coordinator, totp)
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("referrals:queue")


@pytest.mark.django_db
def test_password_alone_does_not_open_any_page(world, client):
    with_totp(world.coordinator)
    sign_in_password(client, world.coordinator.username)
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    assert chart.status_code == 302 and chart["Location"].startswith(LOGIN)
    assert world.alice.family_name not in body_of(chart)


@pytest.mark.django_db
def test_staff_without_authenticator_is_sent_to_set_one_up_before_any_phi(world, client):
    response = sign_in_password(client, world.coordinator.username)
    assert response.status_code == 302
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    assert chart.status_code == 302
    assert chart["Location"] == MFA_ACTIVATE
    body = body_of(chart)
    assert not [m for m in alice_phi(world) if m in body]
    queue = client.get(reverse("referrals:queue"))
    assert queue.status_code == 302 and queue["Location"] == MFA_ACTIVATE
    # Setting up the authenticator asks for the password again (allauth's reauthentication),
    # and neither page shows PHI.
    setup = client.get(MFA_ACTIVATE, follow=True)
    assert setup.status_code == 200
    assert not [m for m in alice_phi(world) if m in body_of(setup)]
    confirm = client.post(setup.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert confirm.status_code == 200
    assert confirm.redirect_chain[-1][0] == MFA_ACTIVATE
    assert not [m for m in alice_phi(world) if m in body_of(confirm)]


@pytest.mark.django_db
def test_wrong_code_is_refused(world, client):
    totp = with_totp(world.coordinator)
    now = int(time.time())
    valid = {totp.at(now + step * 30) for step in (-1, 0, 1)}
    wrong = next(c for c in (totp.at(now + 3600 * k) for k in range(1, 20)) if c not in valid)
    response = sign_in(client, world.coordinator, totp, code=wrong)
    assert response.status_code == 200, "a wrong code must leave the user on the code page"
    assert "code" in body_of(response).lower()
    queue = client.get(reverse("referrals:queue"))
    assert signed_out(queue)


@pytest.mark.django_db
def test_a_used_code_cannot_be_replayed(world):
    totp = with_totp(world.coordinator)
    code = totp.now()
    first = Client()
    assert sign_in(first, world.coordinator, totp, code=code).status_code == 302
    assert first.get(reverse("referrals:queue")).status_code == 200

    second = Client()
    replay = sign_in(second, world.coordinator, totp, code=code)
    assert replay.status_code == 200, "a one-time code must not work twice"
    assert signed_out(second.get(reverse("referrals:queue")))


def assert_throttled(response, *words: str) -> None:
    """A throttled answer: 429, when to come back, and why."""
    assert response.status_code == 429, response.status_code
    assert int(response["Retry-After"]) > 0
    body = body_of(response).lower()
    assert "too many" in body
    assert "try again in" in body
    for word in words:
        assert word in body, word


def fail_sign_ins(client: Client, username: str, times: int) -> list:
    return [sign_in_password(client, username, "not the password 123") for _ in range(times)]


@pytest.mark.django_db
def test_repeated_failed_sign_ins_lock_the_pair_and_are_logged(world, client):
    limit = settings.AXES_FAILURE_LIMIT
    responses = fail_sign_ins(client, world.coordinator.username, limit)
    assert all(r.status_code == 200 for r in responses[:-1]), [r.status_code for r in responses]
    assert_throttled(responses[-1], "this username", "this network address")
    assert int(responses[-1]["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # Now even the right password does not open a session from this address, and the answer
    # still says why (no 200 page).
    again = sign_in_password(client, world.coordinator.username)
    assert_throttled(again, "this network address")
    assert int(again["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert signed_out(client.get(reverse("referrals:queue")))
    attempt_row = AccessAttempt.objects.get(username=world.coordinator.username)
    assert attempt_row.failures_since_start >= limit
    assert attempt_row.ip_address == "127.0.0.1"
    assert AccessFailureLog.objects.filter(username=world.coordinator.username).count() >= limit


@pytest.mark.django_db
def test_a_locked_username_still_signs_in_from_another_address(world, client):
    """A guessed on-call username tried from elsewhere does not lock its owner out."""
    fail_sign_ins(client, world.coordinator.username, settings.AXES_FAILURE_LIMIT + 2)
    assert sign_in_password(client, world.coordinator.username).status_code == 429
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    response = sign_in_password(elsewhere, world.coordinator.username)
    assert response.status_code == 302
    assert elsewhere.get(reverse("referrals:queue"))["Location"] == MFA_ACTIVATE, (
        "the password was accepted: the next step is the authenticator, not the sign-in page"
    )


@pytest.mark.django_db
def test_another_user_signs_in_from_a_locked_out_address(world):
    """One hospital's shared address: one user's lockout does not stop their colleagues."""
    shared = "198.51.100.20"
    fail_sign_ins(Client(REMOTE_ADDR=shared), world.navigator.username, 7)
    colleague = Client(REMOTE_ADDR=shared)
    totp = with_totp(world.coordinator)
    response = sign_in(colleague, world.coordinator, totp)
    assert response.status_code == 302
    assert colleague.get(reverse("referrals:queue")).status_code == 200


@pytest.mark.django_db
def test_failures_spread_over_addresses_each_lock_only_their_own_pair(world):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        Client(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
            LOGIN, {"login": world.coordinator.username, "password": "guess number one"}
        )
    assert not AccessAttempt.objects.filter(failures_since_start__gte=limit).exists()
    response = sign_in_password(Client(REMOTE_ADDR="203.0.113.77"), world.coordinator.username)
    assert response.status_code == 302


@pytest.mark.django_db
def test_too_many_wrong_codes_answer_429_and_say_why(world, client):
    totp = with_totp(world.coordinator)
    now = int(time.time())
    valid = {totp.at(now + step * 30) for step in (-2, -1, 0, 1, 2)}
    wrong = next(c for c in (totp.at(now + 3600 * k) for k in range(1, 40)) if c not in valid)
    assert sign_in_password(client, world.coordinator.username).status_code == 302
    answers = [client.post(MFA_AUTHENTICATE, {"code": wrong}) for _ in range(5)]
    assert all(a.status_code == 200 for a in answers), [a.status_code for a in answers]
    throttled = client.post(MFA_AUTHENTICATE, {"code": totp.now()})
    assert_throttled(throttled, "authenticator codes")
    assert "correct the fields" not in body_of(throttled)
    assert signed_out(client.get(reverse("referrals:queue")))


def _at(monkeypatch, moment: float) -> None:
    """Move the wall clock the session timers read (Django's session expiry reads it too)."""
    monkeypatch.setattr("pallio.accounts.middleware.time.time", lambda: moment)


@pytest.mark.django_db
def test_a_session_lasts_exactly_the_idle_timeout_from_its_last_request(world, client, monkeypatch):
    totp = with_totp(world.coordinator)
    sign_in(client, world.coordinator, totp)
    idle = settings.PALLIO_IDLE_TIMEOUT_MINUTES * 60
    start = time.time()
    _at(monkeypatch, start)
    assert client.get(reverse("referrals:queue")).status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() in ("lax", "strict")
    # Busy: each request restarts the idle clock, well past one idle period in all.
    for step in (1, 2, 3):
        _at(monkeypatch, start + step * (idle - 5))
        assert client.get(reverse("referrals:queue")).status_code == 200
    last = start + 3 * (idle - 5)
    _at(monkeypatch, last + idle - 1)
    assert client.get(reverse("referrals:queue")).status_code == 200
    _at(monkeypatch, last + idle - 1 + idle + 1)
    response = client.get(reverse("referrals:queue"))
    assert signed_out(response)
    assert not Session.objects.filter(session_key=cookie.value).exists()
    follow = client.get(response["Location"])
    assert follow.status_code == 200, (follow.status_code, follow.get("Location"))
    assert "signed out after 15 minutes without activity" in body_of(follow)


@pytest.mark.django_db
def test_a_page_view_does_not_write_the_session(world, client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    totp = with_totp(world.coordinator)
    sign_in(client, world.coordinator, totp)
    assert client.get(reverse("referrals:queue")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("referrals:queue")).status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert writes == []
    seen = client.cookies["pallio_seen"]
    assert seen["httponly"] and seen["samesite"].lower() == "lax"


@pytest.mark.django_db
def test_a_last_seen_cookie_from_another_session_or_altered_does_not_keep_one_alive(
    world, client, monkeypatch
):
    other = Client()
    sign_in(other, world.director, with_totp(world.director))
    assert other.get(reverse("referrals:queue")).status_code == 200
    sign_in(client, world.coordinator, with_totp(world.coordinator))
    start = time.time()
    _at(monkeypatch, start)
    assert client.get(reverse("referrals:queue")).status_code == 200
    mine = client.cookies["pallio_seen"].value
    idle = settings.PALLIO_IDLE_TIMEOUT_MINUTES * 60
    # The director's session, busy until just now, has a fresh last-seen cookie; it is no
    # good for the coordinator's idle session...
    _at(monkeypatch, start + idle - 10)
    assert other.get(reverse("referrals:queue")).status_code == 200
    _at(monkeypatch, start + idle + 60)
    client.cookies["pallio_seen"] = other.cookies["pallio_seen"].value
    assert signed_out(client.get(reverse("referrals:queue")))
    # ...and neither is this session's own cookie with its time pushed forward.
    third = Client()
    _at(monkeypatch, start)
    sign_in(third, world.navigator, with_totp(world.navigator))
    assert third.get(reverse("patients:search")).status_code == 200
    value, signature = third.cookies["pallio_seen"].value.rsplit(":", 1)
    third.cookies["pallio_seen"] = f"{float(value) + idle * 2:.3f}:{signature}"
    _at(monkeypatch, start + idle + 60)
    assert signed_out(third.get(reverse("patients:search")))
    assert mine  # the coordinator's own cookie was set


@pytest.mark.django_db
def test_an_idle_session_is_signed_out(world, client):
    totp = with_totp(world.coordinator)
    sign_in(client, world.coordinator, totp)
    assert client.get(reverse("referrals:queue")).status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert signed_out(client.get(reverse("referrals:queue")))


@pytest.mark.django_db
def test_the_absolute_timeout_signs_out_a_busy_session(world, client):
    totp = with_totp(world.coordinator)
    sign_in(client, world.coordinator, totp)
    assert client.get(reverse("referrals:queue")).status_code == 200
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - (
        settings.PALLIO_ABSOLUTE_SESSION_HOURS * 3600 + 60
    )
    session.save()
    assert signed_out(client.get(reverse("referrals:queue")))
    assert signed_out(client.get(reverse("referrals:queue")))


@pytest.mark.django_db
def test_logout_ends_the_session_on_the_server(world, client):
    totp = with_totp(world.coordinator)
    sign_in(client, world.coordinator, totp)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("referrals:queue")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert not Session.objects.filter(session_key=old_cookie).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert signed_out(replay.get(reverse("referrals:queue")))


@pytest.mark.django_db
def test_session_id_changes_at_sign_in(world, client):
    totp = with_totp(world.coordinator)
    client.get(LOGIN)
    sign_in_password(client, world.coordinator.username)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(MFA_AUTHENTICATE, {"code": totp.now()})
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before != after
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get(reverse("referrals:queue")).status_code == 200


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_access_at_once(world, client):
    totp = with_totp(world.coordinator)
    sign_in(client, world.coordinator, totp)
    assert client.get(reverse("referrals:queue")).status_code == 200
    staff_deactivate(actor=None, user=world.coordinator)
    response = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    assert signed_out(response)
    assert world.alice.family_name not in body_of(response)
    # And the password no longer opens a session.
    fresh = Client()
    sign_in_password(fresh, world.coordinator.username)
    assert signed_out(fresh.get(reverse("referrals:queue")))


@pytest.mark.django_db
def test_leaving_the_care_team_ends_access_to_the_patient_at_once(world, as_user):
    client = as_user(world.navigator)
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    assert client.get(chart).status_code == 200
    member = CareTeamMember.objects.get(patient=world.alice, user=world.navigator, active=True)
    care_team_end(actor=world.director, member=member)
    response = client.get(chart)
    assert response.status_code == 404
    assert world.alice.family_name not in body_of(response)


@pytest.mark.django_db
def test_a_password_reset_never_skips_the_authenticator(world, client):
    totp = with_totp(world.coordinator)
    response = client.post(reverse("account_reset_password"), {"email": world.coordinator.email})
    assert response.status_code == 302
    assert mail.outbox, "the reset e-mail was not sent"
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "a brand new passphrase for cora"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    # The reset did not sign anyone in.
    assert signed_out(client.get(reverse("referrals:queue")))
    # The new password still leads to the authenticator, never straight to a page.
    fresh = Client()
    first = sign_in_password(fresh, world.coordinator.username, new_password)
    assert first.status_code == 302 and first["Location"] == MFA_AUTHENTICATE
    assert signed_out(fresh.get(reverse("referrals:queue")))
    assert fresh.post(MFA_AUTHENTICATE, {"code": totp.now()}).status_code == 302
    assert fresh.get(reverse("referrals:queue")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    ["short pass1", "elevenchars", "password1234", "qwe123qwe123", "liverpool123"],
)
def test_short_or_common_passwords_are_refused(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, world.coordinator)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "plain lowercase words only",
        "ñandú 山田 passphrase ok",
        "x" * 40 + " a long passphrase of sixty-four chars",
    ],
)
def test_long_passphrases_need_no_composition_rules(world, password):
    validate_password(password, world.coordinator)


@pytest.mark.django_db
def test_force_login_helper_matches_a_real_sign_in(world, client):
    """The `as_user` shortcut used elsewhere gives the same access as the real flow."""
    real = Client()
    sign_in(real, world.navigator, with_totp(world.navigator))
    shortcut = login(Client(), world.navigator)
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    assert real.get(chart).status_code == shortcut.get(chart).status_code == 200


# --- password hashing (ADR 0010) ----------------------------------------------------------


def test_production_hashes_passwords_with_argon2_first():
    assert settings.PALLIO_PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert any(h.endswith(".PBKDF2PasswordHasher") for h in settings.PALLIO_PASSWORD_HASHERS)


@pytest.mark.django_db
def test_a_pbkdf2_password_becomes_argon2_at_sign_in(world, client, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = settings.PALLIO_PASSWORD_HASHERS
    user = world.coordinator
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    totp = with_totp(user)

    # A wrong password changes nothing.
    assert sign_in_password(client, user.username, "not the password at all").status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")

    response = sign_in(client, user, totp)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)
    # The next sign-in verifies the Argon2 hash.
    client.post(reverse("account_logout"))
    response = sign_in_password(Client(), user.username)
    assert response.status_code == 302 and response["Location"] == MFA_AUTHENTICATE

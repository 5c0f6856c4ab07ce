"""Staff accounts: creation, role changes and deactivation (which end sessions at once)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.db import transaction

from pallio.accounts.models import ApiToken, Role, User
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.programs.models import Program


@transaction.atomic
def staff_create(
    *,
    actor: Any,
    program: Program,
    username: str,
    first_name: str,
    last_name: str,
    role: str,
    discipline: str,
    password: str,
    email: str = "",
    credentials: str = "",
    check_password: bool = True,
) -> User:
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        program=program,
        role=role,
        discipline=discipline,
        credentials=credentials,
    )
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor, action=Action.CREATE, event="staff.create", target=user, program=program
    )
    return user


def _end_sessions(user: User) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=clock.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def staff_deactivate(*, actor: Any, user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])
    memberships = user.team_memberships.filter(active=True)
    memberships.update(active=False, ended_at=clock.now())
    ended = _end_sessions(user)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="staff.deactivate",
        target=user,
        program=user.program,
        detail={"sessions_ended": ended},
    )


@transaction.atomic
def staff_change_role(*, actor: Any, user: User, role: str) -> None:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    previous = user.role
    user.role = role
    user.save(update_fields=["role"])
    ended = _end_sessions(user)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="staff.role_change",
        target=user,
        program=user.program,
        detail={"from": previous, "to": role, "sessions_ended": ended},
    )


API_TOKEN_PREFIX = "pallio_"  # noqa: S105 (a marker that makes leaked tokens findable)
API_TOKEN_MAX_DAYS = 365
# The stored last-use time is refreshed at most this often, not on every request.
API_TOKEN_TOUCH_EVERY = timedelta(minutes=5)


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """Make a personal API token for `actor`. Returns (token, secret); the secret is shown
    once and only its hash is kept."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("Name the token (up to 100 characters), e.g. the script that uses it.")
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise ValueError(f"A token lasts between 1 and {API_TOKEN_MAX_DAYS} days.")
    if not actor.is_active:
        raise ValueError("The account is not active.")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        secret_hash=api_token_hash(secret),
        expires_at=clock.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="api_token.create",
        target=token,
        program=actor.program,
        detail={"name": token.name, "prefix": token.prefix, "days": days},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """End a token at once. Revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="api_token.revoke",
        target=token,
        program=token.user.program,
        detail={"prefix": token.prefix, "owner": token.user.get_username()},
    )
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The active owner of a valid, unexpired, unrevoked token; None otherwise."""
    if not secret.startswith(API_TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user").filter(secret_hash=api_token_hash(secret)).first()
    )
    now = clock.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > API_TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

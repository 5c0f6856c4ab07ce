"""Staff accounts: creation, role, discipline and trainee status, deactivation (which ends
sessions and API tokens at once).

Who may act is decided here: a program administrator (``staff.manage``) for their own
program's staff only. ``actor=None`` is the command line (`pallio staff`), run by whoever
operates the server.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pallio.accounts.models import ApiToken, Role, TrainingLevel, User
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.programs.models import Program

NOT_ADMIN = "Only the program's administrators manage its staff."


def staff_admin_check(actor: Any, program: Program | None) -> None:
    """Refuse unless `actor` administers `program`'s staff (None: the command line)."""
    if actor is None:
        return
    if (
        program is None
        or not access.has_perm(actor, "staff.manage")
        or actor.program_id != program.pk
    ):
        raise PermissionDenied(NOT_ADMIN)


def username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username.strip()).exists()


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
    training_level: str = "",
    supervisor: User | None = None,
) -> User:
    staff_admin_check(actor, program)
    return staff_create_unchecked(
        actor=actor,
        program=program,
        username=username,
        first_name=first_name,
        last_name=last_name,
        role=role,
        discipline=discipline,
        password=password,
        email=email,
        credentials=credentials,
        check_password=check_password,
        training_level=training_level,
        supervisor=supervisor,
    )


@transaction.atomic
def staff_create_unchecked(
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
    training_level: str = "",
    supervisor: User | None = None,
) -> User:
    """Make the account; the caller has decided that `actor` may (an accepted invitation)."""
    if username_taken(username):
        raise ValidationError({"username": "That username is taken. Choose another one."})
    staff_training_check(program=program, user=None, level=training_level, supervisor=supervisor)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        program=program,
        role=role,
        discipline=discipline,
        credentials=credentials,
        training_level=training_level,
        supervisor=supervisor,
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


def staff_sessions_end(user: User) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=clock.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def _refuse_self(actor: Any, user: User, what: str) -> None:
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(f"You cannot {what} your own account: ask another administrator.")


@transaction.atomic
def staff_deactivate(*, actor: Any, user: User) -> None:
    """End the account: its sessions, API tokens and care-team memberships end at once."""
    staff_admin_check(actor, user.program)
    _refuse_self(actor, user, "deactivate")
    now = clock.now()
    user.is_active = False
    user.save(update_fields=["is_active"])
    memberships = user.team_memberships.filter(active=True)
    memberships.update(active=False, ended_at=now)
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    ended = staff_sessions_end(user)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="staff.deactivate",
        target=user,
        program=user.program,
        detail={"sessions_ended": ended, "tokens_revoked": tokens},
    )


@transaction.atomic
def staff_change_role(*, actor: Any, user: User, role: str) -> None:
    staff_admin_check(actor, user.program)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    if role == user.role:
        return
    _refuse_self(actor, user, "change the role of")
    previous = user.role
    user.role = role
    user.save(update_fields=["role"])
    ended = staff_sessions_end(user)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="staff.role_change",
        target=user,
        program=user.program,
        detail={"from": previous, "to": role, "sessions_ended": ended},
    )


@transaction.atomic
def staff_change_discipline(*, actor: Any, user: User, discipline: str) -> None:
    staff_admin_check(actor, user.program)
    if discipline not in Discipline.values:
        raise ValidationError({"discipline": "Choose a discipline from the list."})
    if discipline == user.discipline:
        return
    previous = user.discipline
    user.discipline = discipline
    user.save(update_fields=["discipline"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="staff.discipline_change",
        target=user,
        program=user.program,
        detail={"from": previous, "to": discipline},
    )


def staff_training_check(
    *, program: Program, user: User | None, level: str, supervisor: User | None
) -> None:
    if level not in TrainingLevel.values:
        raise ValidationError({"training_level": "Choose a training level from the list."})
    if not level:
        if supervisor is not None:
            raise ValidationError({"supervisor": "Only a trainee has a supervisor."})
        return
    if supervisor is None:
        raise ValidationError(
            {"supervisor": "Name the supervisor who co-signs this trainee's notes."}
        )
    if (
        supervisor.program_id != program.pk
        or not supervisor.is_active
        or supervisor.is_trainee
        or supervisor.role not in access.CLINICAL_ROLES
        or (user is not None and supervisor.pk == user.pk)
    ):
        raise ValidationError(
            {
                "supervisor": "The supervisor must be an active clinician of the program who is "
                "not in training."
            }
        )


@transaction.atomic
def staff_set_training(
    *, actor: Any, user: User, training_level: str, supervisor: User | None
) -> None:
    """Mark `user` a trainee (student, resident, fellow) with the supervisor who co-signs
    their notes, or not in training."""
    staff_admin_check(actor, user.program)
    if user.program is None:
        raise ValidationError("This account belongs to no program.")
    staff_training_check(
        program=user.program, user=user, level=training_level, supervisor=supervisor
    )
    if training_level == user.training_level and supervisor == user.supervisor:
        return
    previous = {"level": user.training_level, "supervisor": user.supervisor_id}
    user.training_level = training_level
    user.supervisor = supervisor
    user.save(update_fields=["training_level", "supervisor"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="staff.training_change",
        target=user,
        program=user.program,
        detail={
            "from": previous["level"],
            "to": training_level,
            "supervisor": supervisor.get_username() if supervisor else "",
        },
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


@transaction.atomic
def staff_update(
    *,
    actor: Any,
    user: User,
    role: str,
    discipline: str,
    training_level: str,
    supervisor: User | None,
) -> None:
    """Set role, discipline and trainee status together: all of them or none."""
    staff_set_training(actor=actor, user=user, training_level=training_level, supervisor=supervisor)
    staff_change_discipline(actor=actor, user=user, discipline=discipline)
    staff_change_role(actor=actor, user=user, role=role)

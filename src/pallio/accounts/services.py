"""Staff accounts: creation, role changes and deactivation (which end sessions at once)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.db import transaction

from pallio.accounts.models import Role, User
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

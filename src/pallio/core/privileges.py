"""Clinical privileges: what a care-team member may do to the record, by role and discipline.

Access (core/access.py) decides which patients a user reaches. This module decides which
clinical actions they may perform there: record or void a code status, add a medication,
sign a domain of the assessment... The matrix is data (core/data/privileges.json, with the
reasons for each default); a program tightens it with its ``clinical_privileges`` setting,
which can only remove roles or disciplines from an action, never add them.

Services call ``privilege_check`` first thing, so a page, the JSON API and an import are
refused alike, with the same plain message; templates ask ``can`` to hide what a user may
not do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied

from pallio.core import access
from pallio.core.codes import Discipline

DATA_FILE = Path(__file__).parent / "data" / "privileges.json"
PROGRAM_SETTING = "clinical_privileges"

ROLES = (
    access.ROLE_CLINICIAN,
    access.ROLE_INTAKE,
    access.ROLE_DIRECTOR,
    access.ROLE_ON_CALL,
    access.ROLE_PRIVACY,
    access.ROLE_ADMIN,
)

# How a message names a person of each discipline or role ("A volunteer may not ...").
DISCIPLINE_NOUNS: dict[str, str] = {
    "physician": "physician",
    "nurse_practitioner": "nurse practitioner",
    "nurse": "nurse",
    "nurse_navigator": "nurse navigator",
    "social_worker": "social worker",
    "chaplain": "chaplain",
    "dietitian": "dietitian",
    "pharmacist": "pharmacist",
    "respiratory_therapist": "respiratory therapist",
    "care_coordinator": "care coordinator",
    "patient_navigator": "patient navigator",
    "music_therapist": "music therapist",
    "child_life": "child-life specialist",
    "volunteer": "volunteer",
    "administration": "member of the administrative staff",
}
ROLE_NOUNS: dict[str, str] = {
    access.ROLE_CLINICIAN: "care-team clinician",
    access.ROLE_INTAKE: "intake coordinator",
    access.ROLE_DIRECTOR: "medical director",
    access.ROLE_ON_CALL: "on-call clinician",
    access.ROLE_PRIVACY: "privacy officer",
    access.ROLE_ADMIN: "program administrator",
}


class PrivilegeDenied(PermissionDenied):
    """A clinical action the user's role or discipline does not allow. The message says who
    may do it instead; pages answer 403 with it, the API ``{"detail": message}``."""

    def __init__(self, message: str, *, action: str) -> None:
        super().__init__(message)
        self.action = action
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Privilege:
    action: str
    label: str
    roles: frozenset[str]
    disciplines: frozenset[str]
    voids: tuple[str, ...]
    rationale: str


def parse_matrix(data: dict[str, Any]) -> dict[str, Privilege]:
    """The matrix from its JSON form; ValueError names every problem."""
    problems: list[str] = []
    actions = data.get("actions")
    if not isinstance(actions, dict) or not actions:
        raise ValueError("The privilege matrix needs an 'actions' object.")
    matrix: dict[str, Privilege] = {}
    for key, entry in actions.items():
        roles = frozenset(entry.get("roles", []))
        disciplines = frozenset(entry.get("disciplines", []))
        for name in sorted(roles - set(ROLES)):
            problems.append(f"{key}: unknown role {name!r}")
        for name in sorted(disciplines - set(Discipline.values)):
            problems.append(f"{key}: unknown discipline {name!r}")
        if not str(entry.get("label", "")).strip() or not str(entry.get("rationale", "")).strip():
            problems.append(f"{key}: give a label and a rationale")
        matrix[key] = Privilege(
            action=key,
            label=str(entry.get("label", key)),
            roles=roles,
            disciplines=disciplines,
            voids=tuple(entry.get("voids", ())),
            rationale=str(entry.get("rationale", "")),
        )
    for privilege in matrix.values():
        for created_by in privilege.voids:
            creator = matrix.get(created_by)
            if creator is None:
                problems.append(f"{privilege.action}: voids unknown action {created_by!r}")
                continue
            wider = (privilege.disciplines - creator.disciplines) | (
                privilege.roles - creator.roles
            )
            if wider:
                problems.append(
                    f"{privilege.action} grants {sorted(wider)} that {created_by} does not: "
                    "voiding a record needs at least the privilege that created it"
                )
    if problems:
        raise ValueError("; ".join(problems))
    return matrix


@cache
def matrix() -> dict[str, Privilege]:
    """The shipped defaults."""
    return parse_matrix(json.loads(DATA_FILE.read_text("utf-8")))


def actions() -> list[str]:
    return list(matrix())


def override_problems(value: Any) -> list[str]:
    """What is wrong with a program's ``clinical_privileges`` setting, in plain words.

    The setting maps an action to the roles and/or disciplines the program keeps, e.g.
    ``{"code_status.change": {"disciplines": ["physician", "nurse_practitioner"]}}``. Names
    outside the default are refused: a program can narrow the matrix, never widen it."""
    if not isinstance(value, dict):
        return ["The clinical privileges setting must map actions to roles and disciplines."]
    problems = []
    for key, entry in value.items():
        default = matrix().get(key)
        if default is None:
            problems.append(f"{key!r} is not a clinical action.")
            continue
        if not isinstance(entry, dict) or set(entry) - {"roles", "disciplines"}:
            problems.append(f"{key}: give only 'roles' and 'disciplines'.")
            continue
        for field, allowed in (("roles", default.roles), ("disciplines", default.disciplines)):
            names = entry.get(field)
            if names is None:
                continue
            if not isinstance(names, list):
                problems.append(f"{key}: {field} must be a list.")
                continue
            extra = sorted(set(map(str, names)) - allowed)
            if extra:
                problems.append(
                    f"{key}: {', '.join(extra)} cannot be added; a program can only remove."
                )
    return problems


def _narrowed(privilege: Privilege, program: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The roles and disciplines the program keeps for this action (never more than the
    defaults, whatever the setting says)."""
    settings = getattr(program, "settings", None) or {}
    entry = settings.get(PROGRAM_SETTING, {}) if isinstance(settings, dict) else {}
    entry = entry.get(privilege.action, {}) if isinstance(entry, dict) else {}
    roles, disciplines = privilege.roles, privilege.disciplines
    if isinstance(entry, dict):
        if isinstance(entry.get("roles"), list):
            roles = roles & frozenset(map(str, entry["roles"]))
        if isinstance(entry.get("disciplines"), list):
            disciplines = disciplines & frozenset(map(str, entry["disciplines"]))
    return roles, disciplines


def allowed(action: str, program: Any = None) -> tuple[frozenset[str], frozenset[str]]:
    """The roles and the disciplines that may perform `action` in `program`; for a void,
    only those that also hold every privilege that creates the record."""
    privilege = matrix()[action]
    roles, disciplines = _narrowed(privilege, program)
    for created_by in privilege.voids:
        more_roles, more_disciplines = allowed(created_by, program)
        roles, disciplines = roles & more_roles, disciplines & more_disciplines
    return roles, disciplines


def _refusal(user: Any, action: str, also: Iterable[str] = ()) -> str | None:
    """None when `user` may perform `action` (and every action in `also`); otherwise the
    plain-words reason."""
    privilege = matrix()[action]
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return f"Sign in as a member of the care team to {privilege.label}."
    program = getattr(user, "program", None) if getattr(user, "program_id", None) else None
    if program is None:
        return f"Only a member of a program's care team may {privilege.label}."
    for name in (action, *also):
        roles, disciplines = allowed(name, program)
        if user.role in roles and user.discipline in disciplines:
            continue
        label = matrix()[name].label
        if user.role not in roles:
            who = ROLE_NOUNS.get(user.role, user.role)
        else:
            who = DISCIPLINE_NOUNS.get(user.discipline, user.discipline)
        message = f"{_a(who).capitalize()} may not {label}."
        names = [DISCIPLINE_NOUNS.get(d, d) for d in Discipline.values if d in disciplines]
        if names and roles:
            message += f" Ask {_a(names[0])}{_or(names[1:])}."
        else:
            message += " This program does not allow anyone to do this."
        return message
    return None


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _or(rest: list[str]) -> str:
    if not rest:
        return ""
    if len(rest) == 1:
        return f" or {rest[0]}"
    return ", " + ", ".join(rest[:-1]) + f" or {rest[-1]}"


def can(user: Any, action: str, *, also: Iterable[str] = ()) -> bool:
    """Whether `user` may perform `action` (for pages: hide what they may not do)."""
    return _refusal(user, action, also) is None


def privilege_check(user: Any, action: str, *, also: Iterable[str] = ()) -> None:
    """Refuse with PrivilegeDenied unless `user` may perform `action` and each of `also`
    (e.g. the privilege that created the record being voided)."""
    message = _refusal(user, action, also)
    if message is not None:
        raise PrivilegeDenied(message, action=action)

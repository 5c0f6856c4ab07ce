"""Adolescents' confidential space in the portal.

A patient whose age falls within the program's ``portal_adolescent_ages`` band is an
adolescent: items they mark confidential (a diary entry, a message to the team: any row with
a boolean ``confidential`` field) are theirs and the team's only, never shown to a parent's or
any other caregiver's account. Managing who can see their care is theirs alone too.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from django.db.models import QuerySet

from pallio.core import clock

Q = TypeVar("Q", bound=QuerySet[Any])

SETTING = "portal_adolescent_ages"


def age_on(born: date, on_date: date) -> int:
    return on_date.year - born.year - ((on_date.month, on_date.day) < (born.month, born.day))


def adolescent_ages(program: Any) -> tuple[int, int]:
    low, high = program.setting(SETTING)
    return int(low), int(high)


def is_adolescent(patient: Any, on_date: date | None = None) -> bool:
    """Whether `patient` is within the program's adolescent age band on `on_date` (today in
    the program's time zone by default)."""
    program = patient.program
    if on_date is None:
        on_date = clock.today_in(program.timezone)
    low, high = adolescent_ages(program)
    return low <= age_on(patient.birth_date, on_date) <= high


def visible_items(access: Any, queryset: Q) -> Q:
    """The rows of `queryset` (a model with a boolean ``confidential`` field) that `access`
    may see: all of them for the patient's own account, none of the confidential ones for a
    caregiver's."""
    if access.sees_confidential:
        return queryset
    return queryset.filter(confidential=False)


def may_see(access: Any, item: Any) -> bool:
    """The same rule for one row already read."""
    return bool(access.sees_confidential or not getattr(item, "confidential", False))

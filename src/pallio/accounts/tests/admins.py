"""Program administrators for the staff-management tests (the personas have none)."""

from __future__ import annotations

from typing import Any

from tests.support.personas import make_staff

from pallio.accounts.models import Role


def riverside_admin(world: Any, username: str = "ada", first: str = "Ada") -> Any:
    return make_staff(
        world.riverside, username, Role.PROGRAM_ADMIN, "administration", first, "Admin"
    )


def hillside_admin(world: Any) -> Any:
    return make_staff(world.hillside, "hugo", Role.PROGRAM_ADMIN, "administration", "Hugo", "Hill")


def link_for(token: str) -> str:
    return f"https://pallio.example.org/invitation/{token}/"

"""Shared set-up of the coordination tests: a frozen day and a small directory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pallio.coordination import services
from pallio.coordination.services import AgencyInput

NOON = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 12:00 in Riverside (New York)
TODAY = date(2026, 3, 10)


def directory(world: Any) -> dict[str, Any]:
    """A Riverside directory: an oxygen supplier, an equipment supplier, a support group in
    Cambridge, one in Boston, and an inactive transport company; one Hillside agency."""
    add = services.agency_create
    coordinator = world.coordinator
    return {
        "oxygen": add(
            actor=coordinator,
            data=AgencyInput(
                kind="oxygen_supplier",
                name="Bay Oxygen",
                phone="617-555-0170",
                areas="Cambridge, Somerville, 02139",
            ),
        ),
        "dme": add(
            actor=coordinator,
            data=AgencyInput(kind="dme_supplier", name="Charles Medical Supply", areas="Boston"),
        ),
        "group": add(
            actor=coordinator,
            data=AgencyInput(
                kind="support_group",
                name="Cambridge Caregivers Circle",
                areas="Cambridge, 02138, 02139",
            ),
        ),
        "boston_group": add(
            actor=coordinator,
            data=AgencyInput(kind="support_group", name="Boston Grief Group", areas="Boston"),
        ),
        "old_van": add(
            actor=coordinator,
            data=AgencyInput(kind="transport", name="Old Van Co", areas="Cambridge", active=False),
        ),
        "hillside": add(
            actor=world.hillside_coordinator,
            data=AgencyInput(kind="oxygen_supplier", name="Hill Oxygen", areas="Cambridge"),
        ),
    }


def oxygen_order(world: Any, agencies: dict[str, Any], *, actor: Any = None, on: date = TODAY):
    return services.order_create(
        actor=actor or world.coordinator,
        patient=world.alice,
        kind="equipment",
        item="oxygen_concentrator",
        agency=agencies["oxygen"],
        requested_on=on,
    )


def step(world: Any, order: Any, status: str, *, on: date = TODAY, reason: str = "", actor=None):
    return services.order_status_set(
        actor=actor or world.coordinator,
        order=order,
        status=status,
        occurred_on=on,
        reason=reason,
        expected_version=order.version,
    )

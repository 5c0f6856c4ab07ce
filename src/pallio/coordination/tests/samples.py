"""A sample order for the URL walks: Alice's oxygen concentrator from Riverside's directory."""

from __future__ import annotations

from typing import Any

from pallio.coordination import services
from pallio.coordination.services import AgencyInput
from pallio.core import clock


def alice_order(world: Any) -> Any:
    agency = services.agency_create(
        actor=world.coordinator,
        data=AgencyInput(
            kind="oxygen_supplier", name="Bay Oxygen", phone="+16175550170", areas="Cambridge"
        ),
    )
    return services.order_create(
        actor=world.coordinator,
        patient=world.alice,
        kind="equipment",
        item="oxygen_concentrator",
        agency=agency,
        requested_on=clock.today_in(world.riverside.timezone),
        notes="Two litres a minute at night",
    )

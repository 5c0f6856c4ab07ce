"""Family members on the chart and invitation links, for the portal's tests."""

from __future__ import annotations

import re
from typing import Any

from pallio.acp.models import HealthcareAgent

LINK = re.compile(r"https?://\S+/portal/invitation/(?P<token>[^/\s]+)/")


def link_for(token: str) -> str:
    return f"https://pallio.example.org/portal/invitation/{token}/"


def token_in(message: Any) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group("token")


def family_member(
    patient: Any, name: str = "Andrew Anders", *, rank: int = 0, email: str = ""
) -> HealthcareAgent:
    """A related person recorded on the patient's chart (rank 0: the healthcare agent)."""
    return HealthcareAgent.objects.create(
        program_id=patient.program_id,
        patient=patient,
        name=name,
        relationship="CHILD",
        rank=rank,
        email=email or f"{name.split()[0].lower()}@example.org",
    )

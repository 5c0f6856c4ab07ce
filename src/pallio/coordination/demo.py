"""The demo's coordination of services (issue 12, requirement 10): the program's directory of
agencies and vendors (serving the towns the demo patients live in), and orders and referrals
out for a few enrolled patients: oxygen and equipment delivered, home health started, a
support group referral waiting, a wheelchair the supplier has not confirmed in time (its
follow-up task made by the sweep), one declined and one cancelled. Written through the
services, so every row is audited; deterministic by the seed and the demo's clock."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from pallio.accounts.models import User
from pallio.coordination import services
from pallio.coordination.services import AgencyInput
from pallio.core import privileges

# kind, name, phone, notes
AGENCIES = (
    (
        "dme_supplier",
        "Charles River Medical Supply",
        "617-555-0160",
        "Same-day beds if called by 11.",
    ),
    ("dme_supplier", "Harbor Home Equipment", "617-555-0161", ""),
    ("oxygen_supplier", "Bay State Oxygen", "617-555-0170", "24-hour line for oxygen problems."),
    ("home_health", "Riverside Visiting Nurses", "617-555-0180", ""),
    (
        "home_aide",
        "Helping Hands Home Care",
        "617-555-0181",
        "Spanish- and Portuguese-speaking aides.",
    ),
    ("meals", "Meals on Wheels of the Valley", "617-555-0182", "Soft and diabetic menus."),
    (
        "transport",
        "Ride Together Medical Transport",
        "617-555-0183",
        "Wheelchair vans; book 48 hours ahead.",
    ),
    ("hospice", "Harborview Hospice", "617-555-0140", ""),
    ("support_group", "Caregivers Circle", "617-555-0190", "Tuesday evenings at the library."),
    (
        "support_group",
        "Living With Cancer Group",
        "617-555-0191",
        "Monthly, with video for those at home.",
    ),
    ("counselling", "Family Counselling Center", "617-555-0192", "Sliding-scale fees."),
    (
        "financial_aid",
        "Cancer Care Financial Aid Fund",
        "617-555-0193",
        "Helps with utility bills and rides.",
    ),
)

# item kind, item, agency index, the steps after the request with their reasons, days ago
ORDERS = (
    ("equipment", "oxygen_concentrator", 2, ("ordered", "done"), 9),
    ("equipment", "hospital_bed", 0, ("ordered", "done"), 7),
    ("home_health", "skilled_nursing", 3, ("ordered", "done"), 6),
    ("referral", "support_group", 8, (), 2),
    ("equipment", "wheelchair", 1, ("ordered",), 8),
    ("meals", "home_delivered_meals", 5, ("ordered",), 1),
    ("transport", "appointment_ride", 6, (), 4),
    ("home_aide", "personal_care", 4, ("declined",), 5),
    ("equipment", "commode", 0, ("cancelled",), 3),
    ("referral", "financial_aid", 11, ("ordered",), 3),
)
REASONS = {
    "declined": "No aide available in the patient's town this month",
    "cancelled": "The family borrowed one from a neighbour",
}


def _domain(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:20]


def _orderer(program: Any) -> User | None:
    staff = User.objects.filter(program=program, is_active=True).order_by("username")
    for user in staff:  # a program-wide care coordinator reaches every patient
        if user.role == "intake_coordinator" and privileges.can(user, "coordination.order"):
            return user
    return None


@transaction.atomic
def coordination_demo_populate(
    *, program: Any, patients: list[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """The directory, then ORDERS spread over `patients`; returns counts for the summary."""
    orderer = _orderer(program)
    if orderer is None or not patients:
        return {}
    towns = sorted({p.city for p in patients if p.city})
    codes = sorted({p.postal_code for p in patients if p.postal_code})
    agencies = []
    for kind, name, phone, notes in AGENCIES:
        served = rng.sample(towns, k=min(len(towns), rng.randint(2, 4))) if towns else []
        served += rng.sample(codes, k=min(len(codes), 2)) if codes else []
        agencies.append(
            services.agency_create(
                actor=orderer,
                data=AgencyInput(
                    kind=kind,
                    name=name,
                    phone=phone,
                    areas=", ".join(served),
                    notes=notes,
                    email=f"intake@{_domain(name)}.example.org",
                ),
            )
        )
    counts = {"agencies": len(agencies), "orders": 0}
    for n, (kind, item, agency_at, steps, days_ago) in enumerate(ORDERS):
        patient = patients[n % len(patients)]
        requested = today - timedelta(days=days_ago)
        order = services.order_create(
            actor=orderer,
            patient=patient,
            kind=kind,
            item=item,
            agency=agencies[agency_at],
            requested_on=requested,
            needed_by=requested + timedelta(days=rng.randint(1, 3)),
        )
        on = requested
        for status in steps:
            on = min(today, on + timedelta(days=rng.randint(1, 2)))
            order = services.order_status_set(
                actor=orderer,
                order=order,
                status=status,
                occurred_on=on,
                reason=REASONS.get(status, ""),
                expected_version=order.version,
            )
        counts["orders"] += 1
    counts["follow_ups"] = len(services.follow_ups_create(program=program))
    return counts

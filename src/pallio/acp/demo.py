"""Demo advance-care-planning records for `make run`: conversations at different points,
agents, directive documents, POLST versions with superseded ones, code statuses,
preferences, and a few deliberate inconsistencies for the review list.

Everything is written through the services, so the demo data obeys the same rules (and
leaves the same audit trail) as data entered on the pages.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from pallio.accounts.models import User
from pallio.acp import services
from pallio.core import clock, privileges
from pallio.episodes import stays

AGENT_NAMES = ["Maria", "James", "Linh", "Aisha", "Tomás", "Grace", "Samuel", "Priyanka"]
FOCUS_PATHS = [
    ["life-prolonging"],
    ["balanced"],
    ["life-prolonging", "balanced"],
    ["balanced", "comfort-focused"],
    ["life-prolonging", "balanced", "comfort-focused"],
]
GOALS = {
    "life-prolonging": "Wants every treatment that may give more time; hopes to attend a wedding.",
    "balanced": "More time matters, but not at the cost of long stays in intensive care.",
    "comfort-focused": "To be comfortable at home with family; no more hospital stays.",
}


@cache
def demo_document_pdf() -> bytes:
    """A one-page PDF that plainly says it is a demo document."""
    from weasyprint import HTML

    from pallio.acp.pdf import RefusingFetcher

    html = (
        "<h1>Advance directive (demo)</h1><p>This document was generated for the Pallio "
        "demo. It names a healthcare agent and records treatment wishes.</p>"
    )
    pdf = HTML(string=html, base_url=None, url_fetcher=RefusingFetcher()).write_pdf()
    assert pdf is not None
    return pdf


def acp_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Give a realistic share of `patients` (already enrolled) their planning records.

    Returns counts by kind, for the demo command's summary line.
    """
    staff = [
        user
        # Trainees are left out: their signatures wait for a supervisor's co-signature.
        for user in User.objects.filter(
            program=program,
            is_active=True,
            role__in=["clinician", "medical_director"],
            training_level="",
        ).order_by("pk")
        if all(
            privileges.can(user, action)
            for action in ("code_status.record", "portable_order.record", "goals_of_care.sign")
        )
    ]
    if not staff:
        return {}
    zone = ZoneInfo(program.timezone)
    today = min(today, clock.today_in(program.timezone))
    counts = dict.fromkeys(
        ("conversations", "agents", "documents", "orders", "code_statuses", "inconsistent"), 0
    )

    def moment(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(10, 30), zone)

    shown_full_code_conflict = False
    for patient in patients:
        actor = rng.choice(staff)
        roll = rng.random()
        if roll < 0.3:
            continue  # nothing documented yet: these fill the worklists
        path = rng.choice(FOCUS_PATHS) if roll > 0.45 else [rng.choice(FOCUS_PATHS)[0]]
        for n, focus in enumerate(path):
            days_ago = 15 * (len(path) - n) + rng.randint(0, 10)
            services.conversation_create(
                actor=actor,
                patient=patient,
                sign=n < len(path) - 1 or rng.random() < 0.85,
                data=services.ConversationInput(
                    held_at=moment(days_ago),
                    goal_focus=focus,
                    participants=[
                        {"name": patient.full_name, "role": "patient"},
                        {"name": actor.display_name, "role": actor.get_discipline_display()},
                    ],
                    understanding="Understands the illness is serious and progressing.",
                    information_preferences="Wants the big picture, not numbers.",
                    goals=GOALS[focus],
                    fears_worries="Pain, breathlessness, being a burden.",
                    sources_of_strength="Family and faith community.",
                    critical_abilities="Recognising family; being able to talk.",
                ),
            )
            counts["conversations"] += 1
        last_focus = path[-1]
        document = None
        if rng.random() < 0.6:
            document = services.directive_document_upload(
                actor=actor,
                patient=patient,
                kind=rng.choice(["healthcare_poa", "living_will"]),
                document_date=today - timedelta(days=rng.randint(60, 900)),
                source=rng.choice(["Brought by family", "Hospital record", "Patient's lawyer"]),
                upload=SimpleUploadedFile(
                    "advance-directive.pdf", demo_document_pdf(), "application/pdf"
                ),
            )
            counts["documents"] += 1
            if rng.random() < 0.5:
                services.directive_document_verify(actor=actor, document=document)
        if rng.random() < 0.65:
            for rank in range(rng.choice([1, 1, 2])):
                agent = services.agent_add(
                    actor=actor,
                    patient=patient,
                    naming_document=document,
                    data=services.AgentInput(
                        name=f"{rng.choice(AGENT_NAMES)} {patient.family_name}",
                        relationship=rng.choice(["SPS", "CHILD", "SIB", "DOMPART"]),
                        rank=rank,
                        phone=f"617-555-{rng.randint(200, 999):04d}",
                    ),
                )
                counts["agents"] += 1
                if document is not None and rng.random() < 0.6:
                    services.agent_verify(actor=actor, agent=agent, expected_version=agent.version)
        # The first comfort-focused plan is always left at full code, so that the review
        # list shows this kind of contradiction however few patients the demo has.
        inconsistent = rng.random() < 0.12 or (
            last_focus == "comfort-focused" and not shown_full_code_conflict
        )
        if last_focus == "comfort-focused" and inconsistent:
            shown_full_code_conflict = True
        status = {
            "life-prolonging": "full_code",
            "balanced": rng.choice(["full_code", "dnr"]),
            "comfort-focused": "full_code"
            if inconsistent
            else rng.choice(["dnr_dni", "comfort_focused"]),
        }[last_focus]
        previous = None
        if rng.random() < 0.4:
            # Recorded when it took effect: the later change is then the current one, even
            # when the demo is loaded with the clock standing still.
            with clock.frozen(clock.now() - timedelta(days=40)):
                previous = services.code_status_change(
                    actor=actor,
                    patient=patient,
                    status="full_code",
                    effective_date=today - timedelta(days=40),
                    expected_current_id=None,
                )
            counts["code_statuses"] += 1
        if previous is None or status != "full_code":
            services.code_status_change(
                actor=actor,
                patient=patient,
                status=status,
                effective_date=today - timedelta(days=rng.randint(0, 10)),
                expected_current_id=previous.pk if previous else None,
            )
            counts["code_statuses"] += 1
        if last_focus != "life-prolonging" and rng.random() < 0.6:
            current = None
            for version in range(rng.choice([1, 2, 3])):
                comfort = last_focus == "comfort-focused" and version > 0
                current = services.portable_order_record(
                    actor=actor,
                    patient=patient,
                    expected_current_id=current.pk if current else None,
                    data=services.PortableOrderInput(
                        form_type="POLST",
                        signer_name=f"Dr {actor.last_name or actor.display_name}",
                        signer_role="physician",
                        effective_date=today - timedelta(days=60 - 20 * version),
                        cpr="do_not_attempt" if status != "full_code" else "attempt",
                        medical_interventions="comfort" if comfort else "selective",
                        artificial_nutrition="none" if comfort else "trial",
                    ),
                )
                counts["orders"] += 1
        avoid_hospital = last_focus == "comfort-focused" or rng.random() < 0.2
        for category, choice in (
            ("resuscitation", "does_not_want" if status != "full_code" else "wants"),
            ("hospitalization", "does_not_want" if avoid_hospital else "wants"),
            ("antibiotics", rng.choice(["wants", "trial", "undecided"])),
        ):
            services.treatment_preference_set(
                actor=actor,
                patient=patient,
                category=category,
                choice=choice,
                stated_on=today - timedelta(days=14),
                expected_version=None,
            )
        if avoid_hospital and rng.random() < 0.25:
            admitted_on = today - timedelta(days=rng.randint(1, 10))
            stays.stay_admit(
                actor=actor,
                patient=patient,
                kind="inpatient",
                facility="Riverside General Hospital",
                admitted_at=datetime.combine(admitted_on, time(10), tzinfo=zone),
                reason="Breathlessness",
                informant="Daughter called the team",
            )
            inconsistent = True
        if rng.random() < 0.5:
            no_plan = rng.random() < 0.3
            services.place_preference_set(
                actor=actor,
                patient=patient,
                place_of_care="home",
                place_of_death=rng.choice(["home", "home", "hospice_unit"]),
                support_plan=""
                if no_plan
                else "Home hospice referral; hospital bed and oxygen at home; "
                "family rota for nights.",
                expected_version=None,
            )
            inconsistent = inconsistent or no_plan
        counts["inconsistent"] += int(inconsistent)
    return counts

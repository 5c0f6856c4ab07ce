"""A patient with something in every section of the portal's home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pallio.acp import services as acp
from pallio.acp.tests.factories import CLEAN_PDF, conversation_input, today_of, upload
from pallio.medications.services import MedicationInput, medication_add
from pallio.visits.tests.scheduling_helpers import at, book
from pallio.visits.tests.summary_factories import signed_note, visit_of

VIDEO_SERVICE = "https://video.example.org/join/{room}"
PATIENTS_WORDS = "To stay at home with my cat, and to see my grandson graduate."


@dataclass
class Home:
    video: Any
    home_visit: Any
    conversation: Any
    directive: Any
    summary: Any
    medication: Any


def full_home(world: Any) -> Home:
    """Alice (team: navigator + physician) with a video visit and a home visit booked, her
    goals in her own words, a health care power of attorney, a medicine and a visit summary."""
    from pallio.visits.summaries import summary_create_for_note

    alice = world.alice
    world.riverside.settings["video_url_template"] = VIDEO_SERVICE
    world.riverside.save()
    video = book(
        world,
        setting="telehealth",
        mode="video",
        place=None,
        starts_at=at(world, 1, 14),
        ends_at=at(world, 1, 15),
    )
    home_visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    conversation = acp.conversation_create(
        actor=world.physician,
        patient=alice,
        data=conversation_input("comfort-focused", 5, goals=PATIENTS_WORDS),
        sign=True,
    )
    directive = acp.directive_document_upload(
        actor=world.physician,
        patient=alice,
        kind="healthcare_poa",
        document_date=today_of(alice) - timedelta(days=30),
        source="Family lawyer",
        upload=upload("poa.pdf", CLEAN_PDF),
    )
    medication = medication_add(
        actor=world.navigator,
        patient=alice,
        data=MedicationInput(catalog_key="senna", dose_amount="17.2", doses_per_day="2"),
    )
    alice.email = "alice@example.net"
    alice.save(update_fields=["email"])
    note = signed_note(visit_of(alice, world.navigator))
    summary = summary_create_for_note(actor=world.navigator, note=note)
    return Home(video, home_visit, conversation, directive, summary, medication)


def more_of_everything(world: Any, count: int) -> None:
    """`count` more visits, directives, medicines and summaries for Alice."""
    from pallio.visits.summaries import summary_create_for_note

    alice = world.alice
    for n in range(count):
        book(world, starts_at=at(world, 4 + n, 9), ends_at=at(world, 4 + n, 10))
        acp.directive_document_upload(
            actor=world.physician,
            patient=alice,
            kind="living_will",
            document_date=today_of(alice) - timedelta(days=60 + n),
            source="Family lawyer",
            upload=upload(f"will-{n}.pdf", CLEAN_PDF),
        )
        medication_add(
            actor=world.navigator,
            patient=alice,
            data=MedicationInput(free_text=f"Herbal tea number {n}"),
        )
        note = signed_note(visit_of(alice, world.navigator))
        summary_create_for_note(actor=world.navigator, note=note)

"""Visit summaries: what goes in them, the two forms, their PDF, and who may read them."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from pallio.acp import services as acp
from pallio.acp.tests.factories import conversation_input
from pallio.audit.models import AuditEvent
from pallio.careplans import services as careplans
from pallio.core import clock
from pallio.medications import services as medications
from pallio.medications.models import MedicationStatement
from pallio.visits.models import SummaryDelivery, VisitSummary
from pallio.visits.pdf import render_summary_html, render_summary_pdf, render_summary_text
from pallio.visits.summaries import summary_create_for_note
from pallio.visits.tests.summary_factories import esas_report, signed_note, visit_of

# Words a family should not have to look up, and the abbreviations clinicians write. Checked
# as whole words; the abbreviations case-sensitively.
JARGON_WORDS = (
    "dyspnea",
    "dyspnoea",
    "emesis",
    "analgesia",
    "analgesic",
    "titrate",
    "titration",
    "prognosis",
    "intervention",
    "interventions",
    "interdisciplinary",
    "resuscitate",
    "resuscitation",
    "intubate",
    "intubation",
    "subcutaneous",
    "oral",
    "daily",
    "symptom",
    "instrument",
    "enrollment",
    "clinician",
    "discipline",
)
JARGON_ABBREVIATIONS = (
    "DNR",
    "DNI",
    "CPR",
    "POLST",
    "MOLST",
    "ESAS",
    "PHQ",
    "GAD",
    "PPS",
    "MME",
    "PRN",
    "PO",
    "SC",
    "IV",
    "BID",
    "TID",
    "QID",
    "mg",
    "mcg",
    "mL",
    "RN",
    "MD",
    "NP",
)


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate readability formulas use."""
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade level: 0.39 (words/sentences) + 11.8 (syllables/words) - 15.59.
    A heading or list line without a full stop counts as a sentence of its own."""
    sentences = [s for s in re.split(r"[.!?:;]+|\n", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    total = sum(syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * total / len(words) - 15.59


def jargon_in(text: str) -> list[str]:
    found = [w for w in JARGON_WORDS if re.search(rf"\b{w}\b", text, re.IGNORECASE)]
    found += [a for a in JARGON_ABBREVIATIONS if re.search(rf"\b{re.escape(a)}\b", text)]
    return found


def test_the_reading_level_measure_tells_plain_from_clinical_text():
    plain = "You saw your nurse on Monday. Your pain is better. Call us at any time."
    clinical = (
        "Comprehensive reassessment demonstrated persistent exertional dyspnoea necessitating "
        "titration of subcutaneous opioid analgesia and consideration of palliative sedation."
    )
    assert flesch_kincaid_grade(plain) < 4
    assert flesch_kincaid_grade(clinical) > 16
    assert jargon_in(clinical) == ["dyspnoea", "analgesia", "titration", "subcutaneous"]


# --- a visit with everything a summary reads -----------------------------------------------------


def full_visit(world: Any) -> Any:
    """Alice: a visit last week and one today, a symptom report at each, medicines started,
    stopped and changed in between, goals of care, code status, a care plan and a next visit."""
    alice, nurse = world.alice, world.navigator
    alice.email = "alice.anders@example.net"
    alice.primary_care_name = "Dr. Grace Park"
    alice.primary_care_email = "park@clinic.example.org"
    alice.save(update_fields=["email", "primary_care_name", "primary_care_email"])
    now = clock.now()
    earlier = visit_of(alice, nurse, started_at=now - timedelta(days=7))
    first = esas_report(nurse, alice, answered_at=now - timedelta(days=7), pain=4, dyspnea=6)
    signed_note(earlier, reports=(first,))

    morphine = medications.medication_add(
        actor=world.physician,
        patient=alice,
        data=medications.MedicationInput(
            catalog_key="morphine", dose_amount="5", doses_per_day="4", route="oral"
        ),
    )
    senna = medications.medication_add(
        actor=world.physician,
        patient=alice,
        data=medications.MedicationInput(catalog_key="senna", dose_amount="8.6", doses_per_day="2"),
    )
    history = MedicationStatement.history.model
    # Both were on the list before last week's visit.
    history.objects.filter(id__in=[morphine.pk, senna.pk]).update(
        history_date=now - timedelta(days=10)
    )
    MedicationStatement.objects.filter(pk__in=[morphine.pk, senna.pk]).update(
        created_at=now - timedelta(days=10)
    )
    morphine.refresh_from_db()
    senna.refresh_from_db()
    morphine.dose_amount = 10
    morphine.save_versioned(expected_version=morphine.version, fields=["dose_amount"])
    medications.medication_stop(
        actor=world.physician, statement=senna, expected_version=senna.version
    )
    medications.medication_add(
        actor=world.physician,
        patient=alice,
        data=medications.MedicationInput(
            catalog_key="polyethylene-glycol", dose_amount="17", doses_per_day="1"
        ),
    )

    acp.conversation_create(
        actor=world.physician, patient=alice, data=conversation_input("balanced", 3), sign=True
    )
    acp.code_status_change(
        actor=world.physician,
        patient=alice,
        status="dnr",
        effective_date=clock.today_in(world.riverside.timezone),
        expected_current_id=None,
    )
    plan = careplans.care_plan_for_episode(
        actor=world.physician, episode=alice.episodes.get(status="active")
    )
    careplans.goal_add(
        actor=world.physician,
        plan=plan,
        patient_words="I want to walk to the garden",
        target="Walks to the garden three times a week",
        review_date=clock.today_in(world.riverside.timezone) + timedelta(days=14),
    )
    careplans.intervention_add(
        actor=world.physician,
        plan=plan,
        description="Titrate opioid to breakthrough use",
        discipline="nurse",
    )
    visit = visit_of(alice, nurse, started_at=now - timedelta(hours=2))
    report = esas_report(nurse, alice, answered_at=now - timedelta(hours=2), pain=2, dyspnea=7)
    visit_of(alice, nurse, started_at=now + timedelta(days=6), mode="telephone")
    return signed_note(
        visit,
        reports=(report,),
        plan_changes=[{"kind": "goal", "id": "x", "summary": "Added goal: walks to garden"}],
    )


def referred_visit(world: Any) -> Any:
    """A patient who came by referral (Dr. Osler), seen today, with a signed note."""
    from pallio.referrals.tests.factories import enrolled_referral

    referral = enrolled_referral(world)
    patient = referral.patient
    patient.primary_care_name = "Dr. Grace Park"
    patient.primary_care_email = "park@clinic.example.org"
    patient.save(update_fields=["primary_care_name", "primary_care_email"])
    return signed_note(visit_of(patient, world.navigator))


@pytest.mark.django_db
def test_content_is_built_once_from_the_record(world):
    note = full_visit(world)
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    content = summary.content
    assert content["visit"]["reason"] == "Review of pain and breathlessness"
    esas_rows = content["symptoms"]
    assert [r["instrument"] for r in esas_rows] == ["esas-r"]
    items = {i["key"]: i for i in esas_rows[0]["items"]}
    assert (items["pain"]["value"], items["pain"]["previous"], items["pain"]["change"]) == (
        2,
        4,
        -2,
    )
    assert (items["dyspnea"]["value"], items["dyspnea"]["change"]) == (7, 1)
    assert items["dyspnea"]["severity"] == "severe"
    changes = {(m["change"], m["name"]) for m in content["medications"]}
    assert changes == {
        ("started", "Polyethylene glycol 3350"),
        ("changed", "Morphine"),
        ("stopped", "Senna (sennosides)"),
    }
    changed = next(m for m in content["medications"] if m["change"] == "changed")
    assert changed["detail"] == "10 mg, 4 times daily, oral (was 5 mg, 4 times daily, oral)"
    assert content["goals_of_care"]["focus"] == "balanced"
    assert content["code_status"]["code"] == "dnr"
    assert content["plan"]["goals"][0]["patient_words"] == "I want to walk to the garden"
    assert content["plan"]["interventions"][0]["description"].startswith("Titrate")
    assert content["plan"]["changes"] == ["Added goal: walks to garden"]
    assert content["next_visit"]["mode"] == "telephone"
    assert content["call"]["phone"] == "617-555-0100"

    # Fixed at signing: a later change to the record does not rewrite the summary.
    current = acp.current_code_status_of(world.alice)
    assert current is not None
    acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="full_code",
        effective_date=clock.today_in(world.riverside.timezone),
        expected_current_id=current.pk,
    )
    summary.refresh_from_db()
    assert summary.content["code_status"]["code"] == "dnr"


@pytest.mark.django_db
def test_one_summary_per_visit_with_a_delivery_per_recipient(world):
    note = full_visit(world)
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    deliveries = {d.audience: d for d in summary.deliveries.all()}
    assert set(deliveries) == {"primary_care", "patient"}  # alice came without a referral
    assert deliveries["primary_care"].to_email == "park@clinic.example.org"
    assert deliveries["patient"].to_email == "alice.anders@example.net"
    assert all(d.status == SummaryDelivery.Status.QUEUED for d in deliveries.values())

    # Signed twice, co-signed later, retried: still one summary, nothing queued again.
    assert summary_create_for_note(actor=world.navigator, note=note) is None
    assert VisitSummary.objects.filter(visit=note.visit).count() == 1
    assert SummaryDelivery.objects.filter(summary__visit=note.visit).count() == 2

    event = AuditEvent.objects.get(event="visit_summary.create")
    assert event.patient_id == world.alice.pk
    assert event.object_id == str(summary.pk)


@pytest.mark.django_db
def test_the_referrer_gets_the_letter_and_a_shared_address_gets_one(world):
    note = referred_visit(world)
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    rows = sorted(summary.deliveries.values_list("audience", "recipient_name", "to_email"))
    assert rows == [
        ("primary_care", "Dr. Grace Park", "park@clinic.example.org"),
        ("referrer", "Dr. Osler", "osler@example.org"),
    ]
    assert summary.content["referrer"]["name"] == "Dr. Osler"

    patient = note.patient
    patient.primary_care_email = "OSLER@example.org"
    patient.save(update_fields=["primary_care_email"])
    again = signed_note(visit_of(patient, world.navigator))
    second = summary_create_for_note(actor=world.navigator, note=again)
    assert second is not None
    assert list(second.deliveries.values_list("audience", flat=True)) == ["referrer"]


@pytest.mark.django_db
def test_an_unsigned_note_makes_no_summary(world):
    note = signed_note(visit_of(world.alice, world.navigator), signed=False)
    with pytest.raises(ValidationError):
        summary_create_for_note(actor=world.navigator, note=note)
    assert not VisitSummary.objects.exists()


@pytest.mark.django_db
def test_the_letter_carries_every_part_for_the_doctors(world):
    summary = summary_create_for_note(actor=world.navigator, note=full_visit(world))
    assert summary is not None
    text = render_summary_text(summary.content, form="letter")
    for part in (
        "Alice Anders",
        world.alice.mrn,
        "Reason for visit",
        "Review of pain and breathlessness",
        "Shortness of breath",
        "7/10 (severe)",
        "+1",
        "Pain 2/10",
        "Changed: Morphine — 10 mg, 4 times daily, oral (was 5 mg, 4 times daily, oral)",
        "Stopped: Senna (sennosides)",
        "Balanced: treatment with limits",
        "Code status: DNR (do not resuscitate)",
        "Titrate opioid to breakthrough use",
        "Added goal: walks to garden",
        "Next visit",
        "telephone",
        "24 hours a day, 7 days a week: (617) 555-0100",
        "Nina Navigator",
    ):
        assert part in text, part


@pytest.mark.django_db
def test_the_plain_summary_is_plain(world):
    summary = summary_create_for_note(actor=world.navigator, note=full_visit(world))
    assert summary is not None
    text = render_summary_text(summary.content, form="plain")
    assert jargon_in(text) == [], text
    grade = flesch_kincaid_grade(text)
    assert grade <= 8, (grade, text)
    assert "Call us at any time, day or night: (617) 555-0100" in text
    assert "Short of breath: 7. Last time it was 6. This is worse." in text
    assert "Pain: 2. Last time it was 4. This is better." in text
    assert "We changed the dose of Morphine. It is now 10 milligrams, 4 times a day" in text
    assert "We stopped Senna (sennosides)." in text
    assert "If your heart or breathing stops, the team will not try to restart it." in text
    assert "You told us: “I want to walk to the garden”" in text
    assert "It will be by phone." in text
    # What the clinicians typed for each other stays in the letter.
    assert "Titrate" not in text
    assert "Review of pain and breathlessness" not in text


@pytest.mark.django_db
def test_without_a_next_visit_the_summary_says_as_arranged(world):
    note = signed_note(visit_of(world.alice, world.navigator))
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    assert summary.content["next_visit"] is None
    plain = render_summary_text(summary.content, form="plain")
    assert "Your next visit is as arranged with your team." in plain
    assert "We made no changes to your medicines." in plain
    assert jargon_in(plain) == []
    assert flesch_kincaid_grade(plain) <= 8


@pytest.mark.django_db
def test_both_forms_print_from_the_same_templates_and_fetch_nothing(world):
    from pallio.acp.pdf import RefusingFetcher

    note = full_visit(world)
    note.visit.reason = 'Pain <img src="file:///etc/passwd"> <link href="http://169.254.169.254/">'
    note.visit.save(update_fields=["reason"])
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    for form, phrase in (("letter", "Reason for visit"), ("plain", "Call us at any time")):
        fetcher = RefusingFetcher()
        pdf = render_summary_pdf(summary.content, form=form, fetcher=fetcher)
        assert pdf.startswith(b"%PDF")
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert phrase in text
        assert "(617) 555-0100" in text
        assert fetcher.refused == []  # typed markup is text, never a resource
        html = render_summary_html(summary.content, form=form)
        assert "<img" not in html
    letter = render_summary_pdf(summary.content, form="letter")
    letter_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(letter)).pages)
    assert "Alice Anders" in letter_text
    assert "DNR (do not resuscitate)" in letter_text


@pytest.mark.django_db
def test_the_demo_gives_signed_visits_sent_and_failed_summaries_and_queues_nothing(world):
    import random

    from pallio.visits.summary_demo import DEMO_FAILURES, summaries_demo_populate

    alice = world.alice
    alice.primary_care_email = "park@clinic.example.org"
    alice.save(update_fields=["primary_care_email"])
    now = clock.now()
    for days in (6, 5, 0):
        note = signed_note(visit_of(alice, world.navigator, started_at=now - timedelta(days=days)))
        type(note).objects.filter(pk=note.pk).update(signed_at=now - timedelta(days=days))
    signed_note(visit_of(alice, world.navigator), signed=False)

    counts = summaries_demo_populate(program=world.riverside, rng=random.Random(7), failed=1)

    assert counts == {"summaries": 3, "sent": 2, "failed": 1}
    failed = SummaryDelivery.objects.get(status="failed")
    assert failed.last_error in DEMO_FAILURES and failed.attempts >= 3
    assert failed.summary.visit.started_at < now - timedelta(days=3)
    assert not DBTaskResult.objects.filter(task_path__endswith="summary_delivery_send").exists()
    assert summaries_demo_populate(program=world.riverside, rng=random.Random(7))["summaries"] == 0

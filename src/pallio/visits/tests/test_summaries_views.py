"""Visit summary pages: who may read them, what they answer, and what each read leaves in
the audit trail; the FHIR resources; the late list."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.documentreference import DocumentReference
from pypdf import PdfReader
from tests.support.personas import login

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.visits.fhir import composition, document_reference
from pallio.visits.models import SummaryDelivery, VisitSummary
from pallio.visits.summaries import summary_create_for_note
from pallio.visits.tests.summary_factories import esas_report, signed_note, visit_of


def summary_of(world: Any, patient: Any = None, **visit: Any) -> VisitSummary:
    patient = patient or world.alice
    patient.email = "family@example.net"
    patient.primary_care_email = "park@clinic.example.org"
    patient.primary_care_name = "Dr. Grace Park"
    patient.save(update_fields=["email", "primary_care_email", "primary_care_name"])
    clinician = (
        world.navigator if patient.program_id == world.riverside.pk else world.hillside_nurse
    )
    report = esas_report(clinician, patient, pain=6)
    note = signed_note(visit_of(patient, clinician, **visit), reports=(report,))
    summary = summary_create_for_note(actor=clinician, note=note)
    assert summary is not None
    return summary


def url(name: str, summary: VisitSummary, **extra: Any) -> str:
    return reverse(
        f"summaries:{name}",
        kwargs={"patient_id": summary.patient_id, "visit_id": summary.visit_id, **extra},
    )


@pytest.mark.django_db
def test_the_team_reads_the_summary_with_its_delivery_status(world):
    summary = summary_of(world)
    failed = summary.deliveries.get(audience="patient")
    failed.status = SummaryDelivery.Status.FAILED
    failed.attempts = 2
    failed.last_error = "The recipient's mail server refused the address (550 No such user)."
    failed.save()
    sent = summary.deliveries.get(audience="primary_care")
    sent.status = SummaryDelivery.Status.SENT
    sent.sent_at = clock.now()
    sent.save()

    response = login(Client(), world.navigator).get(url("detail", summary))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Primary care doctor" in body and "Sent" in body
    assert "550 No such user" in body
    assert "Send again" in body
    assert "Pain" in body and "Call us at any time, day or night" in body
    assert AuditEvent.objects.filter(
        event="visit_summary.read", patient_id=world.alice.pk, user_id=world.navigator.pk
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["letter_pdf", "plain_pdf"])
def test_the_forms_download_as_pdf_attachments_and_the_print_is_audited(world, name):
    summary = summary_of(world)
    response = login(Client(), world.physician).get(url(name, summary))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert world.alice.family_name not in response["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "(617) 555-0100" in text
    form = "letter" if name == "letter_pdf" else "plain"
    event = AuditEvent.objects.get(event=f"visit_summary.{form}.print")
    assert (event.action, event.patient_id, event.user_id) == (
        "print",
        world.alice.pk,
        world.physician.pk,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["detail", "status", "letter_pdf", "plain_pdf", "fhir"])
def test_others_get_the_same_404_as_for_a_missing_visit(world, name):
    summary = summary_of(world)
    # Another program's nurse, and a Riverside social worker not on alice's team.
    for user in (world.hillside_nurse, world.social_worker):
        assert login(Client(), user).get(url(name, summary)).status_code == 404
    # A visit named under another patient of the program is not found either.
    bob_url = reverse(
        f"summaries:{name}", kwargs={"patient_id": world.bob.pk, "visit_id": summary.visit_id}
    )
    assert login(Client(), world.coordinator).get(bob_url).status_code == 404
    # The privacy officer audits, and does not read clinical summaries.
    assert login(Client(), world.privacy).get(url(name, summary)).status_code == 403


@pytest.mark.django_db
def test_a_failed_delivery_is_sent_again_by_the_team_and_nobody_else(world):
    summary = summary_of(world)
    delivery = summary.deliveries.get(audience="patient")
    SummaryDelivery.objects.filter(pk=delivery.pk).update(
        status=SummaryDelivery.Status.FAILED, last_error="The mail server did not answer in time."
    )
    resend = url("resend", summary, delivery_id=delivery.pk)

    assert login(Client(), world.hillside_nurse).post(resend).status_code == 404
    assert login(Client(), world.privacy).post(resend).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "failed"

    response = login(Client(), world.navigator).post(resend)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "queued"
    event = AuditEvent.objects.get(event="visit_summary.resend")
    assert event.patient_id == world.alice.pk

    # A queued or sent one is not "sent again": a clear message, nothing changed.
    client = login(Client(), world.navigator)
    response = client.post(resend, follow=True)
    assert "Only a delivery that failed can be sent again." in response.content.decode()
    assert AuditEvent.objects.filter(event="visit_summary.resend").count() == 1


@pytest.mark.django_db
def test_fhir_composition_and_document_reference_validate(world):
    summary = summary_of(world)
    letter = "https://pallio.example.org/summaries/x/letter.pdf"
    resource = composition(summary)
    Composition.model_validate(resource)
    assert resource["type"]["coding"][0]["code"] == "34133-9"
    titles = [s["title"] for s in resource["section"]]
    assert titles == [
        "Reason for visit",
        "Symptom scores",
        "Medication changes",
        "Goals of care and code status",
        "Plan",
        "Next visit",
        "Who to call",
    ]
    reference = document_reference(summary, url=letter)
    DocumentReference.model_validate(reference)
    assert reference["content"][0]["attachment"]["url"] == letter

    response = login(Client(), world.navigator).get(url("fhir", summary))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    attachment = bundle["entry"][1]["resource"]["content"][0]["attachment"]
    assert attachment["url"].endswith(url("letter_pdf", summary))
    assert AuditEvent.objects.filter(event="visit_summary.fhir", action="export").exists()


@pytest.mark.django_db
def test_typed_markup_stays_text_in_the_fhir_narrative(world):
    summary = summary_of(world, reason="<script>alert(1)</script> & review")
    resource = composition(summary)
    div = resource["section"][0]["text"]["div"]
    assert "<script>" not in div and "&lt;script&gt;" in div
    Composition.model_validate(resource)


# --- late summaries -------------------------------------------------------------------------


@pytest.mark.django_db
def test_late_list_shows_unsent_and_unsigned_visits_past_the_due_days(world):
    days_ago = clock.now() - timedelta(days=5)
    late_unsent = summary_of(world, started_at=days_ago)
    on_time = summary_of(world)  # today: not late yet
    sent = summary_of(world, started_at=days_ago - timedelta(days=1))
    SummaryDelivery.objects.filter(summary=sent, audience="patient").update(
        status="sent", sent_at=clock.now()
    )
    unsigned = signed_note(
        visit_of(world.alice, world.navigator, started_at=days_ago), signed=False
    ).visit
    hana = summary_of(world, patient=world.hana, started_at=days_ago)
    trainee = signed_note(visit_of(world.alice, world.navigator, started_at=days_ago))
    type(trainee).objects.filter(pk=trainee.pk).update(status="awaiting_cosign")

    client = login(Client(), world.coordinator)
    response = client.get(reverse("summaries:late"))
    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert {(r.visit.pk, r.kind) for r in rows} == {
        (late_unsent.visit_id, "unsent"),
        (unsigned.pk, "unsigned"),
        (trainee.visit_id, "awaiting_cosign"),
    }
    body = response.content.decode()
    assert "The note is not signed yet." in body
    assert "The note awaits its co-signature." in body
    assert on_time.visit_id not in {r.visit.pk for r in rows}
    assert hana.visit_id not in {r.visit.pk for r in rows}

    # Sam is on nobody's team: his list is empty. The privacy officer has no list.
    assert (
        login(Client(), world.social_worker)
        .get(reverse("summaries:late"))
        .context["page"]
        .object_list
        == []
    )
    assert login(Client(), world.privacy).get(reverse("summaries:late")).status_code == 403
    assert client.get(reverse("summaries:late"), {"page": "x'; DROP"}).status_code == 400

    # A program that allows a week has nothing late.
    world.riverside.settings = {"summary_due_days": 7}
    world.riverside.save(update_fields=["settings"])
    response = client.get(reverse("summaries:late"))
    assert response.context["page"].object_list == []


@pytest.mark.django_db
def test_late_list_costs_the_same_queries_whatever_its_length(world):
    client = login(Client(), world.coordinator)
    days_ago = clock.now() - timedelta(days=5)
    summary_of(world, started_at=days_ago)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("summaries:late")).status_code == 200
        return len(queries)

    few = count()
    for hours in range(6):
        summary_of(world, started_at=days_ago - timedelta(hours=hours + 1))
        signed_note(
            visit_of(world.alice, world.navigator, started_at=days_ago - timedelta(hours=hours)),
            signed=False,
        )
    many = count()
    assert few == many


@pytest.mark.django_db
def test_the_status_partial_renders_for_the_note_page_with_or_without_a_summary(world, rf):
    from django.template.loader import render_to_string

    from pallio.visits.summaries import summary_of_visit

    request = rf.get("/")
    request.user = world.navigator
    assert "made when the note is signed" in render_to_string(
        "visits/_summary_status.html", {"summary": None}, request=request
    )
    summary = summary_of(world)
    found = summary_of_visit(summary.visit)
    assert found is not None
    html = render_to_string("visits/_summary_status.html", {"summary": found}, request=request)
    assert "Primary care doctor" in html and "Queued" in html
    assert url("letter_pdf", summary) in html and url("plain_pdf", summary) in html

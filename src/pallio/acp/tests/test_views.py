"""The pages: who may see and change what, conflicts, downloads, print and export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.relatedperson import RelatedPerson
from pypdf import PdfReader
from tests.support.personas import make_patient

from pallio.acp import services
from pallio.acp.models import CodeStatus, GoalsOfCareConversation, HealthcareAgent
from pallio.acp.pdf import RefusingFetcher, render_summary_pdf
from pallio.acp.selectors import acp_export_for
from pallio.acp.tests.factories import CLEAN_PDF, conversation_input, full_plan, today_of
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.tests.stay_helpers import a_stay

pytestmark = pytest.mark.django_db


def page_url(patient) -> str:
    return reverse("acp:patient", kwargs={"patient_id": patient.pk})


def url(name: str, patient, **kwargs) -> str:
    return reverse(f"acp:{name}", kwargs={"patient_id": patient.pk, **kwargs})


def text_of(response) -> str:
    return response.content.decode()


def test_team_member_sees_the_plan_one_click_from_the_chart(world, as_user):
    full_plan(world)
    client = as_user(world.navigator)
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    assert page_url(world.alice) in text_of(chart)
    assert "DNR/DNI" in text_of(chart)
    response = client.get(page_url(world.alice))
    body = text_of(response)
    assert response.status_code == 200
    for expected in ("Andrew Anders", "POLST version 1", "Healthcare power of attorney"):
        assert expected in body
    assert 'data-testid="code-status"' in body and "DNR/DNI" in body
    assert AuditEvent.objects.filter(event="acp.read", patient_id=world.alice.pk).exists()


@pytest.mark.parametrize("who", ["social_worker", "hillside_nurse", "hillside_coordinator"])
def test_staff_without_access_to_the_patient_get_404(world, as_user, who):
    plan = full_plan(world)
    client = as_user(getattr(world, who))
    for address in (
        page_url(world.alice),
        url("summary_pdf", world.alice),
        url("fhir", world.alice),
        url("document", world.alice, document_id=plan["document"].pk),
        url("conversation", world.alice, conversation_id=plan["conversation"].pk),
    ):
        assert client.get(address).status_code == 404, address
    before = CodeStatus.objects.count()
    response = client.post(
        url("code_status", world.alice),
        {"cs-status": "full_code", "cs-effective_date": today_of(world.alice).isoformat()},
    )
    assert response.status_code in (403, 404)
    assert CodeStatus.objects.count() == before


def test_privacy_officer_and_intake_coordinator_limits(world, as_user):
    assert as_user(world.privacy).get(page_url(world.alice)).status_code == 403
    coordinator = as_user(world.coordinator)
    assert coordinator.get(page_url(world.bob)).status_code == 200
    response = coordinator.post(
        url("code_status", world.bob),
        {"cs-status": "dnr", "cs-effective_date": today_of(world.bob).isoformat()},
    )
    assert response.status_code == 403
    assert not CodeStatus.objects.exists()


def test_code_status_change_shows_in_the_header_and_a_stale_one_is_a_409(world, as_user):
    client = as_user(world.physician)
    today = today_of(world.alice).isoformat()
    response = client.post(
        url("code_status", world.alice),
        {"cs-status": "full_code", "cs-effective_date": today, "cs-current_id": ""},
    )
    assert response.status_code == 302
    first = CodeStatus.objects.get()
    client.post(
        url("code_status", world.alice),
        {"cs-status": "dnr", "cs-effective_date": today, "cs-current_id": str(first.pk)},
    )
    stale = client.post(
        url("code_status", world.alice),
        {
            "cs-status": "comfort_focused",
            "cs-effective_date": today,
            "cs-current_id": str(first.pk),
        },
    )
    assert stale.status_code == 409
    assert "changed by someone else" in text_of(stale)
    assert CodeStatus.objects.count() == 2
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    header = text_of(chart).split('data-testid="code-status"')[1].split("</dd>")[0]
    assert "DNR (do not resuscitate)" in header
    assert clock.now().strftime("%Y") in header


def test_record_of_another_patient_cannot_be_changed_through_this_patient(world, as_user):
    bob_plan = full_plan(world, patient=world.bob, actor=world.director)
    client = as_user(world.director)
    response = client.post(
        url("entered_in_error", world.alice),
        {"kind": "agent", "record_id": str(bob_plan["agent"].pk), "reason": "wrong"},
    )
    assert response.status_code == 404
    assert not HealthcareAgent.objects.filter(entered_in_error=True).exists()
    response = client.post(
        url("agent_verify", world.alice, agent_id=bob_plan["agent"].pk), {"version": 1}
    )
    assert response.status_code == 404
    assert (
        client.get(url("document", world.alice, document_id=bob_plan["document"].pk)).status_code
        == 404
    )


def test_download_is_an_audited_attachment(world, as_user):
    plan = full_plan(world)
    response = as_user(world.navigator).get(
        url("document", world.alice, document_id=plan["document"].pk)
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == CLEAN_PDF
    assert AuditEvent.objects.filter(event="acp.document.download").count() == 1


def test_upload_through_the_page_refuses_a_script_and_writes_nothing(world, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(world.navigator)
    response = client.post(
        url("document_upload", world.alice),
        {
            "document-kind": "living_will",
            "document-document_date": today_of(world.alice).isoformat(),
            "document-source": "Patient",
            "document-file": SimpleUploadedFile(
                "x.svg", b"<svg><script>alert(1)</script></svg>", "image/svg+xml"
            ),
        },
    )
    assert response.status_code == 400
    assert "upload a PDF, PNG or JPEG" in text_of(response)
    assert not world.alice.directive_documents.exists()


def test_conversation_recorded_signed_and_added_to(world, as_user):
    client = as_user(world.physician)
    data = {
        # Entered as the clinician sees it: in the program's time zone.
        "held_at": (clock.now() - timedelta(hours=2))
        .astimezone(ZoneInfo(world.riverside.timezone))
        .strftime("%Y-%m-%dT%H:%M"),
        "participant_0_name": "Alice Anders",
        "participant_0_role": "patient",
        "goals": "Stay at home",
        "goal_focus": "comfort-focused",
        "action": "sign",
    }
    response = client.post(url("conversation_new", world.alice), data)
    assert response.status_code == 302
    conversation = GoalsOfCareConversation.objects.get()
    assert conversation.is_signed and conversation.signed_by == world.physician
    edit = client.post(
        url("conversation", world.alice, conversation_id=conversation.pk),
        {**data, "goals": "overwrite", "version": conversation.version},
    )
    assert edit.status_code == 400
    assert GoalsOfCareConversation.objects.get().goals == "Stay at home"
    client.post(
        url("conversation_addendum", world.alice, conversation_id=conversation.pk),
        {"reason": "Clarification", "text": "Wants her cat nearby."},
    )
    page = text_of(client.get(url("conversation", world.alice, conversation_id=conversation.pk)))
    assert "Stay at home" in page and "Wants her cat nearby." in page


def test_summary_pdf_has_the_plan_and_is_audited_as_print(world, as_user):
    full_plan(world)
    response = as_user(world.navigator).get(url("summary_pdf", world.alice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Alice Anders", "DNR/DNI", "Andrew Anders", "POLST version 1"):
        assert expected in text
    assert AuditEvent.objects.filter(event="acp.summary.print", action="print").count() == 1


def test_pdf_rendering_fetches_no_file_or_network_url(world):
    full_plan(world)
    services.conversation_create(
        actor=world.physician,
        patient=world.alice,
        sign=True,
        data=conversation_input(
            "comfort-focused",
            1,
            goals='<img src="file:///etc/passwd"> <link rel="stylesheet" '
            'href="http://169.254.169.254/latest/meta-data/">',
        ),
    )
    context = acp_export_for(world.physician, world.alice.pk, action="print", event="test")
    context.update(printed_at=clock.now(), printed_by=world.physician)
    # Markup smuggled into the template itself, as if a template bug let it through.
    context["patient"].preferred_name = ""
    fetcher = RefusingFetcher()
    pdf = render_summary_pdf(context, fetcher=fetcher)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "root:" not in text
    assert 'img src="file:///etc/passwd"' in text.replace("\n", " ")  # shown as text
    assert fetcher.refused == []

    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("acp/summary_pdf.html", context).replace(
        "</body>",
        '<img src="file:///etc/passwd"><img src="http://169.254.169.254/latest">'
        '<link rel="stylesheet" href="file:///etc/passwd"></body>',
    )
    direct = RefusingFetcher()
    rendered = HTML(string=html, base_url=None, url_fetcher=direct).write_pdf()
    assert any(u.startswith("file:///etc/passwd") for u in direct.refused)
    assert any("169.254.169.254" in u for u in direct.refused)
    assert "root:" not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(rendered)).pages)


def test_fhir_export_validates_and_is_audited(world, as_user):
    plan = full_plan(world)
    services.portable_order_record(
        actor=world.physician,
        patient=world.alice,
        data=services.PortableOrderInput(
            form_type="POLST",
            signer_name="Dr Phil Physician",
            signer_role="physician",
            effective_date=today_of(world.alice),
            cpr="do_not_attempt",
            medical_interventions="comfort",
            artificial_nutrition="none",
        ),
        expected_current_id=plan["order"].pk,
    )
    response = as_user(world.navigator).get(url("fhir", world.alice))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    models: dict[str, Any] = {
        "DocumentReference": DocumentReference,
        "Consent": Consent,
        "RelatedPerson": RelatedPerson,
    }
    kinds = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        models[resource["resourceType"]].model_validate(resource)
        kinds.append(resource["resourceType"])
        assert resource.get("subject", resource.get("patient")) == {
            "reference": f"Patient/{world.alice.pk}"
        }
    assert sorted(kinds) == ["Consent", "Consent", "Consent", "DocumentReference", "RelatedPerson"]
    document = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] == str(plan["document"].pk)
    )
    assert document["type"]["coding"][0]["code"] == "81334-5"
    assert document["category"][0]["coding"][0]["code"] == "75320-2"
    assert document["content"][0]["attachment"]["url"].endswith(
        url("document", world.alice, document_id=plan["document"].pk)
    )
    orders = [
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] in {str(plan["order"].pk)}
    ]
    assert orders[0]["status"] == "inactive"
    assert AuditEvent.objects.filter(event="acp.fhir.export", action="export").count() == 1


def _enroll(world, n: int, *, days_ago: int):
    patient = make_patient(
        world.riverside, f"Wendy{n}", f"Work{n}", world.alice.birth_date, team=(world.navigator,)
    )
    EpisodeOfCare.objects.filter(patient=patient).update(
        start=clock.now() - timedelta(days=days_ago)
    )
    return patient


def test_worklists_follow_the_program_setting_and_team(world, as_user):
    old = _enroll(world, 1, days_ago=20)
    _enroll(world, 2, days_ago=5)
    nina = as_user(world.navigator)
    body = text_of(nina.get(reverse("acp:worklists") + "?list=no-conversation"))
    assert "Wendy1" in body and "Wendy2" not in body
    services.conversation_create(
        actor=world.navigator, patient=old, data=conversation_input(), sign=True
    )
    body = text_of(nina.get(reverse("acp:worklists") + "?list=no-conversation"))
    assert "Wendy1" not in body
    assert "Wendy1" in text_of(nina.get(reverse("acp:worklists") + "?list=no-agent"))
    world.riverside.settings = {"acp_worklist_days": 30}
    world.riverside.save()
    assert "Wendy1" not in text_of(nina.get(reverse("acp:worklists") + "?list=no-agent"))
    # Sam is on nobody's team: the same list is empty for him.
    world.riverside.settings = {}
    world.riverside.save()
    assert "Wendy1" not in text_of(
        as_user(world.social_worker).get(reverse("acp:worklists") + "?list=no-agent")
    )


def test_review_list_shows_each_inconsistency(world, as_user):
    today = today_of(world.alice)
    services.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="full_code",
        effective_date=today,
        expected_current_id=None,
    )
    services.conversation_create(
        actor=world.physician,
        patient=world.alice,
        data=conversation_input("comfort-focused", 1),
        sign=True,
    )
    services.treatment_preference_set(
        actor=world.director,
        patient=world.bob,
        category="hospitalization",
        choice="does_not_want",
        stated_on=today - timedelta(days=20),
        expected_version=None,
    )
    a_stay(
        actor=world.director,
        patient=world.bob,
        admitted_on=today - timedelta(days=3),
        facility="General",
    )
    carl = make_patient(world.riverside, "Carl", "Clean", world.alice.birth_date)
    services.place_preference_set(
        actor=world.director,
        patient=carl,
        place_of_care="home",
        place_of_death="home",
        support_plan="Hospice at home; hospital bed ordered; daughter moving in.",
        expected_version=None,
    )
    body = text_of(as_user(world.director).get(reverse("acp:worklists") + "?list=review"))
    assert "Full code, but the latest conversation chose comfort-focused care" in body
    assert "In hospital although the patient preferred to avoid hospital" in body
    assert "Carl Clean" not in body
    services.place_preference_set(
        actor=world.director,
        patient=carl,
        place_of_care="home",
        place_of_death="home",
        support_plan="",
        expected_version=1,
    )
    body = text_of(as_user(world.director).get(reverse("acp:worklists") + "?list=review"))
    assert "Carl Clean" in body and "A preferred place of death with no plan" in body
    # The patient's own page says the same.
    assert "Full code, but" in text_of(as_user(world.director).get(page_url(world.alice)))


@pytest.mark.parametrize("kind", ["no-conversation", "review"])
def test_worklist_query_count_does_not_grow(world, as_user, kind):
    client = as_user(world.director)
    address = reverse("acp:worklists") + f"?list={kind}"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(address).status_code == 200
        return len(ctx.captured_queries)

    _enroll(world, 0, days_ago=30)
    few = count()
    for n in range(1, 12):
        patient = _enroll(world, n, days_ago=30)
        services.code_status_change(
            actor=world.director,
            patient=patient,
            status="full_code",
            effective_date=today_of(patient),
            expected_current_id=None,
        )
        services.conversation_create(
            actor=world.director,
            patient=patient,
            data=conversation_input("comfort-focused", 1),
            sign=n % 2 == 0,
        )
    assert count() == few


def test_patient_page_query_count_does_not_grow(world, as_user):
    client = as_user(world.navigator)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page_url(world.alice)).status_code == 200
        return len(ctx.captured_queries)

    full_plan(world)
    few = count()
    for days in (40, 30, 20):
        conversation = services.conversation_create(
            actor=world.physician,
            patient=world.alice,
            data=conversation_input("comfort-focused", days),
            sign=True,
        )
        services.conversation_addendum_add(
            actor=world.navigator, conversation=conversation, reason="r", text="t"
        )
    services.agent_add(
        actor=world.physician,
        patient=world.alice,
        data=services.AgentInput(name="Second", relationship="SIB", rank=1, phone="6175550177"),
    )
    assert count() == few


def _header_code_status(client, patient) -> str:
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": patient.pk}))
    return text_of(chart).split('data-testid="code-status"')[1].split("</dd>")[0]


@pytest.mark.parametrize(
    ("status", "words", "colour"),
    [
        ("dnr_dni", "DNR/DNI (do not resuscitate, do not intubate)", "code-status-no-cpr"),
        ("dnr", "DNR (do not resuscitate)", "code-status-no-cpr"),
        ("comfort_focused", "Comfort-focused care", "code-status-no-cpr"),
        ("full_code", "Full code", "code-status-full"),
    ],
)
def test_chart_header_shows_code_status_as_coloured_words(world, as_user, status, words, colour):
    services.code_status_change(
        actor=world.director,
        patient=world.alice,
        status=status,
        effective_date=today_of(world.alice),
        expected_current_id=None,
    )
    header = _header_code_status(as_user(world.navigator), world.alice)
    assert f"{words}</span>" in header
    assert colour in header
    assert f">{status}<" not in header


def test_chart_header_says_code_status_not_documented_on_a_warning_badge(world, as_user):
    header = _header_code_status(as_user(world.navigator), world.alice)
    assert "Not documented" in header and "code-status-unknown" in header


def test_the_worklists_are_in_the_menu_only_for_those_who_may_open_them(world, as_user):
    link = f'href="{reverse("acp:worklists")}"'
    nina = as_user(world.navigator)
    assert link in text_of(nina.get(reverse("acp:worklists")))
    priya = as_user(world.privacy)
    assert priya.get(reverse("acp:worklists")).status_code == 403
    audit_page = priya.get(reverse("audit:log"))
    assert audit_page.status_code == 200
    assert link not in text_of(audit_page)

"""The visit and note pages: who reaches what, bad input, the lock on signed notes,
worklists and the chart section, with bounded queries and audited reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.visits.models import Visit, VisitNote
from pallio.visits.selectors import visit_notes_chart_section_for
from pallio.visits.tests.factories import document, fellow, nurse, signed, symptom_report

pytestmark = pytest.mark.django_db


def text_of(response: Any) -> str:
    return response.content.decode()


def local_now(world: Any, hours_ago: int = 1) -> str:
    moment = clock.now() - timedelta(hours=hours_ago)
    return moment.astimezone(ZoneInfo(world.riverside.timezone)).strftime("%Y-%m-%dT%H:%M")


def visit_form(world: Any, **overrides: str) -> dict[str, str]:
    data = {
        "setting": "home",
        "mode": "in_person",
        "started_at": local_now(world),
        "reason": "Pain follow-up",
        "section_reason": "Pain follow-up after the dose change.",
        "section_symptoms": "Pain 6 of 10 at night.",
        "section_plan": "Increase the evening dose; call on Friday.",
        "action": "draft",
    }
    data.update(overrides)
    return data


def test_the_form_shows_the_disciplines_sections_with_their_help(world, as_user):
    client = as_user(nurse(world))
    response = client.get(reverse("visits:new", kwargs={"patient_id": world.alice.pk}))
    body = text_of(response)
    assert response.status_code == 200
    assert "Nursing visit note" in body
    assert "Symptoms and how they are managed (needed to sign)" in body
    assert "Are the medicines being taken as prescribed?" in body
    assert AuditEvent.objects.filter(event="visit.form", patient_id=world.alice.pk).exists()


def test_a_nurse_documents_a_visit_through_the_page(world, as_user):
    nora = nurse(world)
    client = as_user(nora)
    response = client.post(
        reverse("visits:new", kwargs={"patient_id": world.alice.pk}), visit_form(world)
    )
    note = VisitNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:note", kwargs={"note_id": note.pk})
    assert note.author == nora and note.content["symptoms"] == "Pain 6 of 10 at night."
    page = client.get(response["Location"])
    assert "Draft, not signed" in text_of(page)
    assert AuditEvent.objects.filter(event="visit_note.read", object_id=str(note.pk)).exists()


def test_empty_required_fields_are_refused_with_a_clear_message_and_nothing_is_written(
    world, as_user
):
    client = as_user(world.navigator)
    response = client.post(
        reverse("visits:new", kwargs={"patient_id": world.alice.pk}),
        visit_form(world, setting="", reason="", started_at=""),
    )
    body = text_of(response)
    assert response.status_code == 400
    assert "Please correct the fields marked below. Nothing has been saved yet." in body
    assert body.count("This field is required.") == 3
    assert not Visit.objects.exists()


def test_a_future_visit_is_refused_by_the_service_on_the_page(world, as_user):
    client = as_user(world.navigator)
    future = (clock.now() + timedelta(days=1)).astimezone(ZoneInfo(world.riverside.timezone))
    response = client.post(
        reverse("visits:new", kwargs={"patient_id": world.alice.pk}),
        visit_form(world, started_at=future.strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 400
    assert "The visit cannot be in the future." in text_of(response)
    assert not Visit.objects.exists()


def test_a_patient_not_on_the_authors_team_is_404_on_the_page(world, as_user):
    client = as_user(world.social_worker)
    url = reverse("visits:new", kwargs={"patient_id": world.alice.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, visit_form(world)).status_code == 404
    assert not Visit.objects.exists()


def test_hillside_staff_get_404_for_a_riverside_note(world, as_user):
    note = signed(world.navigator, world.alice)
    client = as_user(world.hillside_nurse)
    for name in ("note", "note_edit", "note_sign"):
        assert client.get(reverse(f"visits:{name}", kwargs={"note_id": note.pk})).status_code == 404


def test_a_crafted_post_to_a_signed_note_is_refused_and_changes_nothing(world, as_user):
    note = signed(world.navigator, world.alice)
    before = VisitNote.objects.get(pk=note.pk)
    client = as_user(world.navigator)
    url = reverse("visits:note_edit", kwargs={"note_id": note.pk})
    assert client.get(url).status_code == 302  # no edit form for a signed note
    response = client.post(
        url, visit_form(world, version=str(note.version), section_plan="Rewritten")
    )
    assert response.status_code == 400
    assert "This note is signed and cannot be changed" in text_of(response)
    after = VisitNote.objects.get(pk=note.pk)
    assert after.content == before.content and after.version == before.version
    sign = client.post(
        reverse("visits:note_sign", kwargs={"note_id": note.pk}), {"version": note.version}
    )
    assert sign.status_code == 400
    assert VisitNote.objects.get(pk=note.pk).signed_at == before.signed_at


def test_the_author_edits_the_draft_and_a_stale_form_is_a_conflict(world, as_user):
    note = document(world.navigator, world.alice)
    client = as_user(world.navigator)
    url = reverse("visits:note_edit", kwargs={"note_id": note.pk})
    assert "Follow-up of pain" in text_of(client.get(url))
    ok = client.post(url, visit_form(world, version=str(note.version), section_plan="New plan"))
    assert ok.status_code == 302
    stale = client.post(url, visit_form(world, version=str(note.version), section_plan="Old"))
    assert stale.status_code == 409
    assert "changed by someone else" in text_of(stale)
    assert VisitNote.objects.get(pk=note.pk).content["plan"] == "New plan"


def test_signing_on_the_page_with_a_symptom_report_of_the_visit(world, as_user):
    nora = nurse(world)
    note = document(nora, world.alice)
    report = symptom_report(nora, world.alice, pain=6)
    client = as_user(nora)
    url = reverse("visits:note_sign", kwargs={"note_id": note.pk})
    form = client.get(url)
    assert "Edmonton Symptom Assessment System" in text_of(form)
    response = client.post(
        url, {"version": note.version, "symptom_reports": [str(report.pk)], "phase": "stable"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == VisitNote.Status.SIGNED
    assert list(note.symptom_reports.all()) == [report]
    page = text_of(client.get(reverse("visits:note", kwargs={"note_id": note.pk})))
    assert "Phase of care: Stable" in page
    assert "Signed by Nora Nurse" in page


def test_signing_without_the_required_sections_names_them(world, as_user):
    note = document(world.navigator, world.alice, content={"reason": "Pain"})
    client = as_user(world.navigator)
    response = client.post(
        reverse("visits:note_sign", kwargs={"note_id": note.pk}), {"version": note.version}
    )
    assert response.status_code == 400
    assert "Fill in “Plan” before signing." in text_of(response)
    assert VisitNote.objects.get(pk=note.pk).status == VisitNote.Status.DRAFT


def test_the_supervisor_cosigns_on_the_note_page_and_others_are_refused(world, as_user, client):
    fred = fellow(world)
    note = signed(fred, world.alice)
    url = reverse("visits:note_cosign", kwargs={"note_id": note.pk})
    nora = nurse(world)
    refused = as_user(nora).post(url, {"version": note.version})
    assert refused.status_code == 403
    assert "A nurse may not co-sign a clinical note" in text_of(refused)
    client.logout()
    phil = as_user(world.physician)
    page = text_of(phil.get(reverse("visits:note", kwargs={"note_id": note.pk})))
    assert "Co-sign the note" in page
    assert "Waiting for the co-signature of Phil Physician" in page
    assert phil.post(url, {"version": note.version}).status_code == 302
    assert VisitNote.objects.get(pk=note.pk).status == VisitNote.Status.SIGNED


def test_addendum_and_entered_in_error_on_the_page(world, as_user):
    note = signed(world.navigator, world.alice)
    client = as_user(world.physician)
    empty = client.post(reverse("visits:note_addendum", kwargs={"note_id": note.pk}), {})
    assert empty.status_code == 400 and "This field is required." in text_of(empty)
    added = client.post(
        reverse("visits:note_addendum", kwargs={"note_id": note.pk}),
        {"reason": "Later information", "text": "The son called <script>window.__xss=1</script>"},
    )
    assert added.status_code == 302
    page = text_of(client.get(reverse("visits:note", kwargs={"note_id": note.pk})))
    assert "&lt;script&gt;" in page and "<script>window" not in page
    no_reason = client.post(
        reverse("visits:note_entered_in_error", kwargs={"note_id": note.pk}), {"reason": ""}
    )
    assert no_reason.status_code == 400
    assert not VisitNote.objects.get(pk=note.pk).entered_in_error
    voided = client.post(
        reverse("visits:note_entered_in_error", kwargs={"note_id": note.pk}),
        {"reason": "Wrong patient"},
    )
    assert voided.status_code == 302
    assert VisitNote.objects.get(pk=note.pk).entered_in_error


def test_the_worklist_shows_drafts_and_notes_awaiting_cosignature_in_fixed_queries(world, as_user):
    fred = fellow(world)
    draft = document(fred, world.alice)
    awaiting = signed(fred, world.alice)
    mine = document(world.physician, world.alice)
    signed(world.navigator, world.alice)
    fred_page = text_of(as_user(fred).get(reverse("visits:worklist")))
    assert reverse("visits:note_sign", kwargs={"note_id": draft.pk}) in fred_page
    assert "Waiting for Phil Physician to co-sign" in fred_page
    phil = as_user(world.physician)
    phil_page = text_of(phil.get(reverse("visits:worklist")))
    assert "Co-sign this note" in phil_page
    assert reverse("visits:note", kwargs={"note_id": awaiting.pk}) in phil_page
    assert reverse("visits:note_sign", kwargs={"note_id": mine.pk}) in phil_page
    assert reverse("visits:note_sign", kwargs={"note_id": draft.pk}) not in phil_page

    with CaptureQueriesContext(connection) as few:
        phil.get(reverse("visits:worklist"))
    for _ in range(6):
        document(world.physician, world.alice)
        signed(fred, world.alice)
    with CaptureQueriesContext(connection) as many:
        response = phil.get(reverse("visits:worklist"))
    assert text_of(response).count("Co-sign this note") == 7
    assert len(many) == len(few)
    read = AuditEvent.objects.filter(event="visit_note.worklist", user_id=world.physician.pk)
    assert str(awaiting.pk) in str(list(read.values_list("detail", flat=True)))


def test_the_patients_visit_list_costs_fixed_queries_and_is_audited(world, as_user):
    signed(world.navigator, world.alice)
    client = as_user(world.physician)
    url = reverse("visits:patient", kwargs={"patient_id": world.alice.pk})
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        signed(world.physician, world.alice, mode="telephone")
    with CaptureQueriesContext(connection) as many:
        body = text_of(client.get(url))
    assert body.count("Telephone, home") == 5
    assert len(many) == len(few)
    assert AuditEvent.objects.filter(event="visit_note.list", patient_id=world.alice.pk).exists()
    assert client.get(url + "?page=abc").status_code == 400


def test_the_chart_section_lists_the_latest_notes(world):
    note = signed(world.navigator, world.alice, reason="Breathless at night")
    context = visit_notes_chart_section_for(world.physician, world.alice)
    assert context["notes"] == [note]
    html = render_to_string("visits/_chart_notes.html", context)
    assert "Breathless at night" in html
    assert reverse("visits:note", kwargs={"note_id": note.pk}) in html
    assert visit_notes_chart_section_for(world.hillside_nurse, world.alice)["notes"] == []


def test_the_chart_section_tag_renders_for_the_signed_in_user(world, rf):
    from django.template import Context, Template

    note = signed(world.navigator, world.alice)
    html = Template("{% load visits %}{% visits_chart_section patient %}").render(
        Context({"user": world.physician, "patient": world.alice})
    )
    assert reverse("visits:note", kwargs={"note_id": note.pk}) in html
    assert "Document a visit or call" in html


def test_someone_else_opening_a_drafts_edit_or_sign_page_is_sent_to_the_note(world, as_user):
    note = document(world.navigator, world.alice)
    client = as_user(world.physician)
    for name in ("note_edit", "note_sign"):
        response = client.get(reverse(f"visits:{name}", kwargs={"note_id": note.pk}))
        assert response.status_code == 302
        assert response["Location"] == reverse("visits:note", kwargs={"note_id": note.pk})
    refused = client.post(
        reverse("visits:note_sign", kwargs={"note_id": note.pk}), {"version": note.version}
    )
    assert refused.status_code == 403
    assert "author, Nina Navigator, may sign this draft" in text_of(refused)
    assert VisitNote.objects.get(pk=note.pk).status == VisitNote.Status.DRAFT

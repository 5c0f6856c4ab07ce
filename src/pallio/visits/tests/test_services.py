"""Visit notes through their services: draft, sign, lock, co-sign, addenda, entered in error,
first contact, templates per program, privileges and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.support.personas import add_to_team

from pallio.assessments import services as assessments
from pallio.assessments.models import PhaseOfCare
from pallio.assessments.tests.helpers import esas
from pallio.audit.models import AuditEvent
from pallio.careplans import services as careplans
from pallio.careplans.models import Task, TaskKind
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes.models import EpisodeOfCare
from pallio.visits import services
from pallio.visits.models import NoteAddendum, NoteTemplate, Visit, VisitNote
from pallio.visits.selectors import note_template_for
from pallio.visits.tests.factories import (
    document,
    fellow,
    filled,
    nurse,
    signed,
    symptom_report,
)

pytestmark = pytest.mark.django_db


def events(**filters: Any) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).values_list("event", flat=True))


@pytest.fixture
def summaries(monkeypatch) -> list[Any]:
    """The notes handed to the summary service, in order."""
    calls: list[Any] = []

    def record(*, actor: Any, note: Any) -> None:
        calls.append(note.pk)

    monkeypatch.setattr("pallio.visits.summaries.summary_create_for_note", record)
    return calls


# --- templates -------------------------------------------------------------------------------


def test_every_discipline_that_writes_notes_has_a_shipped_template(world):
    shipped = {t.key for t in NoteTemplate.objects.filter(program__isnull=True)}
    assert shipped == {"physician", "nurse", "social_worker", "chaplain", "general"}
    expected = {
        "physician": "physician",
        "nurse_practitioner": "physician",
        "nurse": "nurse",
        "nurse_navigator": "nurse",
        "social_worker": "social_worker",
        "chaplain": "chaplain",
        "dietitian": "general",
        "pharmacist": "general",
        "respiratory_therapist": "general",
        "music_therapist": "general",
        "child_life": "general",
    }
    for discipline, key in expected.items():
        assert note_template_for(world.riverside, discipline).key == key
    for template in NoteTemplate.objects.filter(program__isnull=True):
        assert any(s["required"] for s in template.sections)
        assert all(s["label"] and s["help"] for s in template.sections)


def test_a_programs_own_template_replaces_the_shipped_one_for_that_program_only(world):
    sections = [
        {"key": "story", "label": "The patient's story", "required": True, "help": "In brief."},
        {"key": "plan", "label": "Plan", "required": True, "help": "Next steps."},
    ]
    services.note_template_save(
        actor=world.director,
        program=world.riverside,
        key="nurse",
        title="Riverside nursing note",
        disciplines=["nurse", "nurse_navigator"],
        sections=sections,
    )
    assert note_template_for(world.riverside, "nurse").title == "Riverside nursing note"
    assert note_template_for(world.hillside, "nurse").title == "Nursing visit note"
    note = document(world.navigator, world.alice)
    assert note.template.title == "Riverside nursing note"
    assert set(note.content) == {"story", "plan"}
    assert "note_template.create" in events(program_id=world.riverside.pk)


def test_a_program_template_is_validated_and_only_the_director_saves_one(world):
    with pytest.raises(ValidationError) as refused:
        services.note_template_save(
            actor=world.director,
            program=world.riverside,
            key="Nurse Note",
            title="",
            disciplines=["nurse", "astronaut"],
            sections=[
                {"key": "a", "label": "A", "required": False, "help": ""},
                {"key": "a", "label": "", "required": "yes", "help": ""},
            ],
        )
    problems = refused.value.message_dict
    assert {"key", "title", "disciplines", "sections"} <= set(problems)
    assert any("used twice" in m for m in problems["sections"])
    assert any("at least one section required" in m for m in problems["sections"])
    with pytest.raises(PermissionDenied, match="medical director"):
        services.note_template_save(
            actor=world.physician,
            program=world.riverside,
            key="nurse",
            title="Mine",
            disciplines=["nurse"],
            sections=[{"key": "plan", "label": "Plan", "required": True, "help": ""}],
        )
    assert not NoteTemplate.objects.filter(program=world.riverside).exists()


# --- documenting -----------------------------------------------------------------------------


def test_a_nurse_documents_a_visit_as_a_draft_from_the_nurse_template(world):
    nora = nurse(world)
    note = document(nora, world.alice, setting="home", mode="video")
    assert note.status == VisitNote.Status.DRAFT
    assert note.template.key == "nurse"
    assert note.visit.discipline == "nurse"
    assert note.visit.setting == "home" and note.visit.mode == "video"
    assert note.visit.episode == world.alice.episodes.get()
    assert {"visit.create", "visit_note.create"} <= set(events(user_id=nora.pk))


def test_the_first_visit_records_first_contact_and_closes_the_first_contact_task(world):
    episode = world.alice.episodes.get()
    assert Task.objects.get(episode=episode, kind=TaskKind.FIRST_CONTACT).status == "open"
    started = clock.now() - timedelta(hours=2)
    document(world.navigator, world.alice, mode="telephone", setting="home", started_at=started)
    episode.refresh_from_db()
    assert episode.first_contact_at == started
    assert episode.time_to_first_contact == started - episode.start
    task = Task.objects.get(episode=episode, kind=TaskKind.FIRST_CONTACT)
    assert task.status == Task.Status.DONE
    assert "telephone call" in task.outcome
    assert "episode.first_contact" in events(patient_id=world.alice.pk)


def test_a_later_visit_keeps_the_first_contact_and_an_earlier_one_moves_it(world):
    episode = world.alice.episodes.get()
    first = clock.now() - timedelta(hours=3)
    document(world.navigator, world.alice, started_at=first)
    document(world.physician, world.alice, started_at=clock.now() - timedelta(hours=1))
    episode.refresh_from_db()
    assert episode.first_contact_at == first
    earlier = first - timedelta(hours=5)
    document(world.physician, world.alice, started_at=earlier, mode="telephone")
    episode.refresh_from_db()
    assert episode.first_contact_at == earlier


def test_a_patient_not_on_the_authors_team_is_refused_and_nothing_is_written(world):
    # Sam is a social worker of the program but not on bob's (nor alice's) team.
    before = Visit.objects.count(), VisitNote.objects.count()
    with pytest.raises(PermissionDenied, match="not on this patient's care team"):
        document(world.social_worker, world.alice)
    with pytest.raises(PermissionDenied, match="not on this patient's care team"):
        document(world.navigator, world.bob)
    assert (Visit.objects.count(), VisitNote.objects.count()) == before


def test_emergency_access_does_not_make_one_the_author_of_a_patients_notes(world):
    from pallio.episodes.services import break_glass_grant

    break_glass_grant(actor=world.social_worker, patient=world.alice, reason="Family called")
    with pytest.raises(PermissionDenied, match="not on this patient's care team"):
        document(world.social_worker, world.alice)


def test_program_wide_roles_document_for_any_patient_of_the_program(world):
    note = document(world.director, world.bob, mode="telephone")
    assert note.author == world.director
    assert note.template.key == "physician"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"started_at": "future"}, "started_at"),
        ({"reason": "  "}, "reason"),
        ({"setting": "moon"}, "setting"),
        ({"mode": "pigeon"}, "mode"),
    ],
)
def test_bad_visit_details_are_refused_by_name_and_nothing_is_written(world, change, field):
    if change.get("started_at") == "future":
        change = {"started_at": clock.now() + timedelta(hours=2)}
    with pytest.raises(ValidationError) as refused:
        document(world.navigator, world.alice, **change)
    assert field in refused.value.message_dict
    assert not Visit.objects.exists()
    assert world.alice.episodes.get().first_contact_at is None


def test_text_for_a_section_the_template_does_not_have_is_refused(world):
    with pytest.raises(ValidationError, match="not a section of this note template"):
        document(world.navigator, world.alice, content={"diagnosis_code": "C34"})


def test_a_volunteer_may_not_document_a_visit_and_is_told_who_may(world):
    volunteer = add_to_team(world, "val", "volunteer", "Val", "Volunteer")
    with pytest.raises(PrivilegeDenied, match=r"^A volunteer may not document a visit in a note"):
        document(volunteer, world.alice)
    assert not Visit.objects.exists()


# --- drafts ----------------------------------------------------------------------------------


def test_the_author_updates_the_draft_and_a_stale_version_is_a_conflict(world):
    note = document(world.navigator, world.alice, content={"reason": "Pain"})
    version = note.version
    services.note_update(
        actor=world.navigator,
        note=note,
        expected_version=version,
        content={"reason": "Pain and nausea"},
        setting="clinic",
    )
    note.refresh_from_db()
    assert note.content == {"reason": "Pain and nausea"}
    assert note.visit.setting == "clinic"
    assert note.version == version + 1
    assert note.history.count() == 2
    with pytest.raises(ConflictError):
        services.note_update(
            actor=world.navigator, note=note, expected_version=version, content={"reason": "Old"}
        )
    note.refresh_from_db()
    assert note.content == {"reason": "Pain and nausea"}
    assert "visit_note.update" in events(user_id=world.navigator.pk)


def test_only_the_author_changes_or_signs_a_draft(world):
    note = document(world.navigator, world.alice)
    with pytest.raises(PermissionDenied, match="Only the note's author"):
        services.note_update(
            actor=world.physician, note=note, expected_version=note.version, content={}
        )
    with pytest.raises(PermissionDenied, match="Only the note's author"):
        services.note_sign(actor=world.physician, note=note, expected_version=note.version)
    note.refresh_from_db()
    assert note.status == VisitNote.Status.DRAFT and note.content


# --- signing ---------------------------------------------------------------------------------


def test_signing_needs_every_required_section_and_names_the_missing_ones(world, summaries):
    note = document(world.navigator, world.alice, content={"reason": "Pain"})
    with pytest.raises(ValidationError) as refused:
        services.note_sign(actor=world.navigator, note=note, expected_version=note.version)
    messages = refused.value.message_dict
    assert set(messages) == {"symptoms", "plan"}
    assert "Symptoms and how they are managed" in messages["symptoms"][0]
    note.refresh_from_db()
    assert note.status == VisitNote.Status.DRAFT and note.signed_at is None
    assert summaries == []


def test_a_signed_note_is_locked_and_a_crafted_update_changes_nothing(world, summaries):
    note = signed(world.navigator, world.alice)
    assert note.status == VisitNote.Status.SIGNED
    assert note.signed_by == world.navigator and note.signed_at is not None
    assert summaries == [note.pk]
    before = VisitNote.objects.get(pk=note.pk)
    for actor in (world.navigator, world.physician):
        with pytest.raises(ValidationError, match="signed and cannot be changed"):
            services.note_update(
                actor=actor,
                note=note,
                expected_version=note.version,
                content={"reason": "Rewritten after signing"},
                reason="Changed",
            )
    with pytest.raises(ValidationError, match="signed and cannot be changed"):
        services.note_sign(actor=world.navigator, note=note, expected_version=note.version)
    after = VisitNote.objects.get(pk=note.pk)
    assert after.content == before.content and after.version == before.version
    assert after.visit.reason == "Follow-up of pain"
    assert after.history.count() == before.history.count()


def test_signing_records_the_instruments_and_plan_changes_of_the_visit(world, summaries):
    nora = nurse(world)
    note = document(nora, world.alice)
    report = symptom_report(nora, world.alice, pain=7)
    older, _ = assessments.report_submit(
        actor=nora,
        patient=world.alice,
        data=assessments.ReportInput(
            "esas-r", esas(pain=2), "patient", "call", answered_at=clock.now() - timedelta(days=3)
        ),
    )
    plan = careplans.care_plan_for_episode(actor=nora, episode=world.alice.episodes.get())
    careplans.goal_add(
        actor=nora,
        plan=plan,
        patient_words="I want to sleep through the night.",
        target="Pain at night 3 or less",
        review_date=clock.today_in(world.riverside.timezone) + timedelta(days=14),
    )
    with pytest.raises(ValidationError, match="taken during this visit"):
        services.note_sign(
            actor=nora, note=note, expected_version=note.version, symptom_reports=[older]
        )
    note = services.note_sign(
        actor=nora,
        note=note,
        expected_version=note.version,
        symptom_reports=[report],
        phase="unstable",
    )
    assert list(note.symptom_reports.all()) == [report]
    phase = note.phase_of_care
    assert phase is not None and phase.phase == "unstable" and phase.contact == "visit"
    assert PhaseOfCare.objects.filter(patient=world.alice, recorded_by=nora).count() == 1
    assert [c["kind"] for c in note.plan_changes] == ["goal"]
    assert "Pain at night 3 or less" in note.plan_changes[0]["summary"]
    sign = AuditEvent.objects.get(event="visit_note.sign", user_id=nora.pk)
    assert sign.detail["symptom_reports"] == [str(report.pk)]


def test_another_patients_report_cannot_be_named_in_a_note(world):
    nora = nurse(world)
    bobs = assessments.report_submit(
        actor=world.director,
        patient=world.bob,
        data=assessments.ReportInput("esas-r", esas(pain=5), "patient", "visit"),
    )[0]
    note = document(nora, world.alice)
    with pytest.raises(ValidationError, match="symptom reports of this patient"):
        services.note_sign(
            actor=nora, note=note, expected_version=note.version, symptom_reports=[bobs]
        )


def test_a_stale_signature_is_a_conflict(world):
    note = document(world.navigator, world.alice)
    with pytest.raises(ConflictError):
        services.note_sign(actor=world.navigator, note=note, expected_version=note.version + 5)
    assert VisitNote.objects.get(pk=note.pk).status == VisitNote.Status.DRAFT


# --- trainees --------------------------------------------------------------------------------


def test_a_trainees_note_awaits_the_supervisors_cosignature_with_a_task(world, summaries):
    fred = fellow(world)
    note = signed(fred, world.alice)
    assert note.status == VisitNote.Status.AWAITING_COSIGN
    assert note.cosign_required and note.supervisor == world.physician
    task = Task.objects.get(kind=TaskKind.NOTE_COSIGN, patient=world.alice)
    assert task.assigned_to == world.physician and task.status == Task.Status.OPEN
    assert "Fred Fellow" in task.title
    assert summaries == []  # not final until co-signed
    with pytest.raises(ValidationError, match="signed and cannot be changed"):
        services.note_update(actor=fred, note=note, expected_version=note.version, content={})

    note = services.note_cosign(actor=world.physician, note=note, expected_version=note.version)
    assert note.status == VisitNote.Status.SIGNED
    assert note.cosigned_by == world.physician and note.cosigned_at is not None
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert summaries == [note.pk]
    assert "visit_note.cosign" in events(user_id=world.physician.pk)


def test_cosigning_is_refused_to_others_and_to_the_trainee(world, summaries):
    fred = fellow(world)
    nora = nurse(world)
    note = signed(fred, world.alice)
    with pytest.raises(PrivilegeDenied, match=r"^A nurse may not co-sign a clinical note"):
        services.note_cosign(actor=nora, note=note, expected_version=note.version)
    with pytest.raises(PermissionDenied, match="cannot co-sign your own note"):
        services.note_cosign(actor=fred, note=note, expected_version=note.version)
    note.refresh_from_db()
    assert note.status == VisitNote.Status.AWAITING_COSIGN
    # Another physician with the privilege may co-sign in the supervisor's absence.
    services.note_cosign(actor=world.director, note=note, expected_version=note.version)
    assert VisitNote.objects.get(pk=note.pk).cosigned_by == world.director
    with pytest.raises(ValidationError, match="not awaiting a co-signature"):
        services.note_cosign(actor=world.physician, note=note, expected_version=None)


def test_a_trainee_without_a_supervisor_on_the_team_is_told_before_signing(world):
    fred = fellow(world, supervisor=world.social_worker)
    note = document(fred, world.alice)
    with pytest.raises(ValidationError, match="not on this patient's care team"):
        services.note_sign(actor=fred, note=note, expected_version=note.version)
    fred.supervisor = None
    fred.save()
    with pytest.raises(ValidationError, match="no supervisor is named"):
        services.note_sign(actor=fred, note=note, expected_version=note.version)
    assert VisitNote.objects.get(pk=note.pk).status == VisitNote.Status.DRAFT


# --- addenda and entered in error --------------------------------------------------------------


def test_an_addendum_on_a_signed_note_keeps_who_when_and_why(world):
    note = signed(world.navigator, world.alice)
    addendum = services.note_addendum_add(
        actor=world.physician, note=note, reason="Later information", text="Son called."
    )
    assert addendum.author == world.physician and addendum.created_at is not None
    assert VisitNote.objects.get(pk=note.pk).content == note.content
    assert "visit_note.addendum" in events(user_id=world.physician.pk)
    with pytest.raises(ValidationError) as refused:
        services.note_addendum_add(actor=world.physician, note=note, reason="", text="")
    assert set(refused.value.message_dict) == {"reason", "text"}
    draft = document(world.navigator, world.alice)
    with pytest.raises(ValidationError, match="Edit the draft instead"):
        services.note_addendum_add(actor=world.navigator, note=draft, reason="x", text="y")
    assert NoteAddendum.objects.count() == 1


def test_entered_in_error_needs_a_reason_and_keeps_the_note(world):
    fred = fellow(world)
    note = signed(fred, world.alice)
    with pytest.raises(ValidationError):
        services.note_mark_entered_in_error(actor=world.physician, note=note, reason=" ")
    assert not VisitNote.objects.get(pk=note.pk).entered_in_error
    services.note_mark_entered_in_error(
        actor=world.physician, note=note, reason="Written on the wrong patient"
    )
    note = VisitNote.objects.select_related("visit").get(pk=note.pk)
    assert note.entered_in_error and note.entered_in_error_by == world.physician
    assert note.entered_in_error_reason == "Written on the wrong patient"
    assert note.visit.entered_in_error
    assert Task.objects.get(kind=TaskKind.NOTE_COSIGN).status == Task.Status.CANCELLED
    with pytest.raises(ValidationError, match="entered in error"):
        services.note_cosign(actor=world.physician, note=note, expected_version=note.version)
    with pytest.raises(ValidationError, match="entered in error"):
        services.note_addendum_add(actor=world.physician, note=note, reason="x", text="y")
    assert "visit_note.entered_in_error" in events(user_id=world.physician.pk)


def test_every_write_is_audited_with_the_patient(world, summaries):
    fred = fellow(world)
    note = document(fred, world.alice, content={"history": "Seen at home."})
    services.note_update(
        actor=fred, note=note, expected_version=note.version, content=filled(fred, world.alice)
    )
    note = services.note_sign(actor=fred, note=note, expected_version=note.version + 1)
    note = services.note_cosign(actor=world.physician, note=note, expected_version=note.version)
    services.note_addendum_add(actor=fred, note=note, reason="Correction", text="Dose was 5 mg.")
    services.note_mark_entered_in_error(actor=world.physician, note=note, reason="Duplicate")
    written = events(patient_id=world.alice.pk)
    for event in (
        "visit.create",
        "visit_note.create",
        "visit_note.update",
        "visit_note.sign",
        "task.create",
        "visit_note.cosign",
        "task.complete",
        "visit_note.addendum",
        "visit_note.entered_in_error",
    ):
        assert event in written, event


def test_first_contact_on_an_episode_without_a_task_still_records_the_time(world):
    Task.objects.filter(kind=TaskKind.FIRST_CONTACT).delete()
    document(world.navigator, world.alice)
    assert EpisodeOfCare.objects.get(patient=world.alice).first_contact_at is not None


def test_the_shipped_templates_are_loaded_again_after_a_migrate_or_flush(db):
    from django.core.management.sql import emit_post_migrate_signal

    NoteTemplate.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert NoteTemplate.objects.filter(program__isnull=True).count() == 5

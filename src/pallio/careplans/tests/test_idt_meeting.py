"""Running the team meeting: start, attendance, notes with a version check, decisions made
real in one step, minutes signed and then immutable, privileges refused in plain words, and
every write audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from tests.support.personas import add_to_team

from pallio.audit.models import AuditEvent
from pallio.careplans import idt
from pallio.careplans.models import (
    IdtAgendaItem,
    IdtAttendance,
    IdtDecision,
    IdtMeeting,
    Task,
    TaskKind,
)
from pallio.careplans.tests.idt_samples import planned_meeting, riverside_team
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.core.privileges import PrivilegeDenied

pytestmark = pytest.mark.django_db


def started(world: Any) -> IdtMeeting:
    meeting = planned_meeting(world)
    idt.idt_meeting_start(actor=world.director, meeting=meeting, expected_version=meeting.version)
    return meeting


def alice_item(meeting: IdtMeeting, world: Any) -> IdtAgendaItem:
    return IdtAgendaItem.objects.select_related("meeting", "patient", "episode").get(
        meeting=meeting, patient=world.alice
    )


def today(world: Any) -> date:
    return clock.today_in(world.riverside.timezone)


def events(name: str) -> int:
    return AuditEvent.objects.filter(event=name).count()


def test_start_the_meeting(world):
    meeting = planned_meeting(world)
    idt.idt_meeting_start(actor=world.navigator, meeting=meeting, expected_version=meeting.version)
    meeting.refresh_from_db()
    assert meeting.status == IdtMeeting.Status.IN_PROGRESS
    assert events("idt.meeting.start") == 1
    with pytest.raises(ValidationError, match="already started"):
        idt.idt_meeting_start(
            actor=world.navigator, meeting=meeting, expected_version=meeting.version
        )


def test_attendance_by_discipline_members_and_others(world):
    meeting = started(world)
    idt.idt_attendance_set(
        actor=world.navigator,
        meeting=meeting,
        present=[world.navigator, world.physician, world.social_worker],
        expected_version=meeting.version,
    )
    rows = {r.user_id: r.discipline for r in IdtAttendance.objects.filter(meeting=meeting)}
    assert rows == {
        world.navigator.pk: "nurse_navigator",
        world.physician.pk: "physician",
        world.social_worker.pk: "social_worker",
    }
    # Taken again: the physician left early and was never there.
    idt.idt_attendance_set(
        actor=world.navigator,
        meeting=meeting,
        present=[world.navigator, world.social_worker],
        expected_version=meeting.version,
    )
    assert IdtAttendance.objects.filter(meeting=meeting).count() == 2
    assert events("idt.attendance.set") == 2


def test_attendance_from_a_stale_page_is_a_conflict(world):
    meeting = started(world)
    stale = meeting.version
    idt.idt_attendance_set(
        actor=world.navigator, meeting=meeting, present=[world.navigator], expected_version=stale
    )
    with pytest.raises(ConflictError):
        idt.idt_attendance_set(
            actor=world.physician, meeting=meeting, present=[], expected_version=stale
        )
    assert IdtAttendance.objects.filter(meeting=meeting).count() == 1


def test_attendance_of_another_programs_staff_is_refused(world):
    meeting = started(world)
    with pytest.raises(ValidationError):
        idt.idt_attendance_set(
            actor=world.navigator,
            meeting=meeting,
            present=[world.hillside_nurse],
            expected_version=meeting.version,
        )
    assert not IdtAttendance.objects.filter(meeting=meeting).exists()


def test_discussion_notes_and_marking_discussed(world):
    meeting = started(world)
    item = alice_item(meeting, world)
    idt.idt_item_discuss(
        actor=world.physician,
        item=item,
        discussion="Pain better since the patch.",
        discussed=True,
        expected_version=item.version,
    )
    item.refresh_from_db()
    assert item.discussion == "Pain better since the patch."
    assert item.discussed_by == world.physician and item.discussed_at is not None
    assert AuditEvent.objects.filter(event="idt.item.discuss", patient_id=world.alice.pk).exists()


def test_two_people_typing_into_the_same_item_conflict_not_overwrite(world):
    meeting = started(world)
    mine = alice_item(meeting, world)
    theirs = alice_item(meeting, world)
    idt.idt_item_discuss(
        actor=world.physician,
        item=mine,
        discussion="First note.",
        discussed=False,
        expected_version=mine.version,
    )
    with pytest.raises(ConflictError):
        idt.idt_item_discuss(
            actor=world.navigator,
            item=theirs,
            discussion="Second note typed at the same time.",
            discussed=False,
            expected_version=theirs.version,
        )
    assert alice_item(meeting, world).discussion == "First note."


def test_a_decision_becomes_a_task_for_its_owner(world):
    meeting = started(world)
    item = alice_item(meeting, world)
    due = today(world) + timedelta(days=2)
    decision = idt.idt_decision_record(
        actor=world.physician,
        item=item,
        kind="task",
        text="Call the daughter about night support",
        owner=world.social_worker,
        due=due,
    )
    task = decision.task
    assert task is not None
    assert task.kind == TaskKind.IDT_DECISION and task.assigned_to == world.social_worker
    assert task.due == due and task.patient == world.alice and task.discipline == "social_worker"
    assert events("idt.decision.record") == 1 and events("task.create") >= 1


def test_a_decision_becomes_an_intervention_or_a_goal_on_the_plan(world):
    meeting = started(world)
    item = alice_item(meeting, world)
    intervention = idt.idt_decision_record(
        actor=world.physician,
        item=item,
        kind="intervention",
        text="Chaplain visit weekly",
        discipline="chaplain",
    )
    goal = idt.idt_decision_record(
        actor=world.physician,
        item=item,
        kind="goal",
        text="Pain 3 or less on most days",
        patient_words="I want to sit in the garden without pain",
        review_date=today(world) + timedelta(days=14),
    )
    plan = world.alice.episodes.get(status="active").care_plan
    assert intervention.intervention is not None and intervention.intervention.plan == plan
    assert goal.goal is not None and goal.goal.patient_words.startswith("I want to sit")
    noted = idt.idt_decision_record(
        actor=world.physician, item=item, kind="note", text="Family meeting next week"
    )
    assert noted.task is None and noted.goal is None and noted.intervention is None
    assert IdtDecision.objects.filter(item=item).count() == 3


@pytest.mark.parametrize(
    "fields,error",
    [
        ({"kind": "task", "text": "Call"}, "owner"),
        ({"kind": "task", "text": "Call", "owner": "sam"}, "due"),
        ({"kind": "intervention", "text": "Visit"}, "discipline"),
        ({"kind": "goal", "text": "Target"}, "patient_words"),
        ({"kind": "note", "text": ""}, "text"),
        ({"kind": "nonsense", "text": "x"}, "kind"),
    ],
)
def test_an_incomplete_decision_is_refused_and_nothing_written(world, fields, error):
    meeting = started(world)
    item = alice_item(meeting, world)
    if fields.get("owner") == "sam":
        fields = {**fields, "owner": world.social_worker}
    tasks = Task.objects.count()
    with pytest.raises(ValidationError) as refused:
        idt.idt_decision_record(actor=world.physician, item=item, **fields)
    assert error in refused.value.message_dict
    assert Task.objects.count() == tasks and not IdtDecision.objects.exists()


def _sign(world: Any, meeting: IdtMeeting, who: Any = None) -> None:
    meeting.refresh_from_db()
    idt.idt_meeting_sign(
        actor=who or world.director,
        meeting=meeting,
        minutes=idt.minutes_draft(meeting),
        expected_version=meeting.version,
    )


def test_the_minutes_summarise_attendance_notes_and_decisions(world):
    meeting = started(world)
    idt.idt_attendance_set(
        actor=world.navigator,
        meeting=meeting,
        present=[world.navigator, world.physician],
        expected_version=meeting.version,
    )
    item = alice_item(meeting, world)
    idt.idt_item_discuss(
        actor=world.physician,
        item=item,
        discussion="Pain better.",
        discussed=True,
        expected_version=item.version,
    )
    idt.idt_decision_record(
        actor=world.physician,
        item=item,
        kind="task",
        text="Review the patch",
        owner=world.navigator,
        due=today(world) + timedelta(days=1),
    )
    text = idt.minutes_draft(meeting)
    assert "Nina Navigator (Nurse navigator)" in text and "Phil Physician" in text
    assert "Alice Anders" in text and "Discussion: Pain better." in text
    assert "Decision (task): Review the patch, for Nina Navigator" in text
    assert "Patients discussed: 1 of 1" in text


def test_signing_locks_the_meeting_and_its_items(world):
    meeting = started(world)
    item = alice_item(meeting, world)
    _sign(world, meeting)
    meeting.refresh_from_db()
    assert meeting.is_signed and meeting.signed_by == world.director and meeting.minutes
    assert events("idt.meeting.sign") == 1
    item.refresh_from_db()
    attempts = [
        lambda: idt.idt_item_discuss(
            actor=world.physician,
            item=item,
            discussion="Changed after signing",
            discussed=True,
            expected_version=item.version,
        ),
        lambda: idt.idt_decision_record(
            actor=world.physician, item=item, kind="note", text="Late decision"
        ),
        lambda: idt.idt_attendance_set(
            actor=world.director, meeting=meeting, present=[], expected_version=meeting.version
        ),
        lambda: idt.idt_minutes_save(
            actor=world.director, meeting=meeting, minutes="New", expected_version=meeting.version
        ),
        lambda: idt.idt_agenda_build(actor=world.director, meeting=meeting),
        lambda: idt.idt_meeting_start(
            actor=world.director, meeting=meeting, expected_version=meeting.version
        ),
        lambda: _sign(world, meeting),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="minutes of this meeting are signed"):
            attempt()
    item.refresh_from_db()
    assert item.discussion == "" and not IdtDecision.objects.exists()


def test_minutes_are_signed_only_once_the_meeting_started(world):
    meeting = planned_meeting(world)
    with pytest.raises(ValidationError, match="Start the meeting"):
        _sign(world, meeting)


def test_someone_without_the_privilege_is_refused_in_plain_words(world):
    volunteer = add_to_team(world, "vic", "volunteer", "Vic", "Volunteer")
    team = riverside_team(world, world.navigator, volunteer)
    meeting = planned_meeting(world, team)
    with pytest.raises(PrivilegeDenied, match=r"^A volunteer may not run the interdisciplinary"):
        idt.idt_meeting_start(actor=volunteer, meeting=meeting, expected_version=meeting.version)
    idt.idt_meeting_start(actor=world.navigator, meeting=meeting, expected_version=meeting.version)
    chaplain = add_to_team(world, "cal", "chaplain", "Cal", "Chaplain")
    team.members.add(chaplain)
    with pytest.raises(PrivilegeDenied, match=r"^A chaplain may not sign the team meeting"):
        _sign(world, meeting, chaplain)
    meeting.refresh_from_db()
    assert meeting.status == IdtMeeting.Status.IN_PROGRESS


def test_a_clinician_outside_the_team_cannot_touch_its_meeting(world):
    meeting = planned_meeting(world)
    with pytest.raises(Http404):
        idt.idt_meeting_start(
            actor=world.social_worker, meeting=meeting, expected_version=meeting.version
        )
    with pytest.raises(Http404):
        idt.idt_meeting_start(
            actor=world.hillside_nurse, meeting=meeting, expected_version=meeting.version
        )


def test_a_team_member_off_the_patients_care_team_cannot_write_about_them(world):
    team = riverside_team(world, world.navigator, world.social_worker)
    meeting = planned_meeting(world, team)
    item = alice_item(meeting, world)
    with pytest.raises(Http404):
        idt.idt_item_discuss(
            actor=world.social_worker,
            item=item,
            discussion="Not my patient",
            discussed=True,
            expected_version=item.version,
        )


def test_team_create_needs_the_privilege_and_a_unique_name(world):
    riverside_team(world)
    with pytest.raises(ValidationError, match="already has this name"):
        idt.idt_team_create(
            actor=world.director, program=world.riverside, name="riverside north", members=[]
        )
    with pytest.raises(PrivilegeDenied):
        idt.idt_team_create(
            actor=world.coordinator, program=world.riverside, name="Another", members=[]
        )
    assert events("idt.team.create") == 1


def test_next_meeting_time_follows_the_team_day(world):
    team = riverside_team(world)  # Wednesdays 13:00 New York
    when = idt.next_meeting_time(team)
    assert when.weekday() == 2 and when.hour == 13 and when > clock.now()
    assert when - clock.now() <= timedelta(days=7)


def test_every_write_and_read_of_a_meeting_is_audited(world, as_user):
    from django.urls import reverse

    meeting = started(world)
    idt.idt_attendance_set(
        actor=world.navigator,
        meeting=meeting,
        present=[world.navigator],
        expected_version=meeting.version,
    )
    item = alice_item(meeting, world)
    idt.idt_item_discuss(
        actor=world.physician,
        item=item,
        discussion="Noted.",
        discussed=True,
        expected_version=item.version,
    )
    idt.idt_decision_record(actor=world.physician, item=item, kind="note", text="Carry on")
    meeting.refresh_from_db()
    idt.idt_minutes_save(
        actor=world.director, meeting=meeting, minutes="Draft.", expected_version=meeting.version
    )
    idt.idt_meeting_sign(
        actor=world.director, meeting=meeting, minutes="Final.", expected_version=meeting.version
    )
    client = as_user(world.director)
    client.get(reverse("idt:meeting", kwargs={"meeting_id": meeting.pk}))
    client.get(reverse("idt:minutes", kwargs={"meeting_id": meeting.pk}))
    client.get(reverse("idt:not_discussed"))
    for event in (
        "idt.team.create",
        "idt.meeting.create",
        "idt.agenda.build",
        "idt.meeting.start",
        "idt.attendance.set",
        "idt.item.discuss",
        "idt.decision.record",
        "idt.minutes.save",
        "idt.meeting.sign",
        "idt.meeting.read",
        "idt.minutes.read",
        "idt.not_discussed.view",
    ):
        assert events(event) >= 1, event
    # Writes about a patient name the patient; reads name every patient shown.
    for event in ("idt.item.discuss", "idt.decision.record"):
        assert AuditEvent.objects.get(event=event).patient_id == world.alice.pk
    read = AuditEvent.objects.filter(event="idt.meeting.read").latest("at")
    assert read.detail["patients"] == [str(world.alice.pk)] and read.user_id == world.director.pk

"""The morning hand-off (issue 13, requirement 7): every call since the previous day shift
started, follow-up tasks for the right discipline made once, repeated callers."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import login

from pallio.audit.models import AuditEvent
from pallio.careplans.models import IdtTeam, Task
from pallio.core import clock
from pallio.support.handoff import (
    handoff_day,
    handoff_follow_ups_build,
    handoff_for,
    handoff_window,
)
from pallio.support.models import CallFollowUp, CallReason, Disposition
from pallio.support.tests.ops_samples import NIGHT, make_call

DAY = date(2026, 11, 24)
# Riverside's day shift starts at 08:00 in New York: 13:00 UTC in November.
SHIFT_START = datetime.fromisoformat("2026-11-24T13:00:00+00:00")
PREVIOUS_START = SHIFT_START - timedelta(days=1)


@pytest.mark.django_db
def test_the_window_runs_from_the_previous_day_shift_start_to_this_one(world):
    assert handoff_window(world.riverside, DAY) == (PREVIOUS_START, SHIFT_START)
    assert handoff_day(world.riverside, SHIFT_START - timedelta(minutes=1)) == date(2026, 11, 23)
    assert handoff_day(world.riverside, SHIFT_START) == DAY
    world.riverside.settings = {"support_day_shift_starts": "07:30"}
    assert handoff_window(world.riverside, DAY)[1] == SHIFT_START - timedelta(minutes=30)


@pytest.mark.django_db
def test_the_handoff_lists_every_call_in_the_window_with_its_disposition(world):
    make_call(world, received_at=PREVIOUS_START - timedelta(minutes=1))  # the day before's
    first = make_call(world, received_at=PREVIOUS_START, disposition=Disposition.ADVICE)
    night = make_call(world, received_at=NIGHT, disposition=Disposition.NURSE_VISIT)
    make_call(world, received_at=SHIFT_START)  # tomorrow's hand-off
    handoff = handoff_for(world.director, day=DAY, team=None)
    assert [c.pk for c in handoff.page.object_list] == [first.pk, night.pk]
    assert handoff.total == 2
    assert [c.get_disposition_display() for c in handoff.page.object_list] == [
        "Advice given",
        "Nurse visit tonight",
    ]
    event = AuditEvent.objects.get(event="support.handoff")
    assert event.user_id == world.director.pk
    assert event.detail["patients"] == [str(world.alice.pk)]


@pytest.mark.django_db
def test_follow_up_tasks_are_made_once_for_the_right_discipline_after_the_shift_starts(world):
    visit = make_call(world, disposition=Disposition.NURSE_VISIT)
    consulted = make_call(world, disposition=Disposition.PHYSICIAN_CONSULTED)
    open_call = make_call(world)  # no disposition yet
    make_call(world, disposition=Disposition.ADVICE)  # settled: nothing to follow up
    make_call(world, patient=None, disposition=Disposition.NURSE_VISIT)  # nobody to task
    caregiver = make_call(
        world, patient=world.bob, reason=CallReason.CAREGIVER, disposition=Disposition.ADVICE
    )

    assert handoff_follow_ups_build(program=world.riverside, now=SHIFT_START - timedelta(1)) == []
    with clock.frozen(SHIFT_START):
        made = handoff_follow_ups_build(program=world.riverside, now=SHIFT_START)
    assert len(made) == 4
    by_call = {f.call_id: f.task for f in CallFollowUp.objects.select_related("task")}
    assert by_call[visit.pk].discipline == "nurse"
    assert by_call[visit.pk].assigned_to is None  # alice has no nurse: the nurses' queue
    assert by_call[consulted.pk].discipline == "physician"
    assert by_call[consulted.pk].assigned_to == world.physician  # phil is on alice's team
    assert by_call[open_call.pk].title.startswith("Call back")
    assert by_call[caregiver.pk].discipline == "social_worker"
    assert all(t.kind == "follow_up" and t.due == DAY for t in by_call.values())
    created = [str(t.pk) for t in by_call.values()]
    assert AuditEvent.objects.filter(event="task.create", object_id__in=created).count() == 4

    # Built again (the next minute's sweep, or a second worker): nothing more.
    with clock.frozen(SHIFT_START + timedelta(minutes=1)):
        assert handoff_follow_ups_build(program=world.riverside) == []
        out = io.StringIO()
        call_command("support", "sweep", "--now", stdout=out)
    assert "made 0 hand-off follow-up task(s)" in out.getvalue()
    assert Task.objects.filter(kind="follow_up").count() == 4


@pytest.mark.django_db
def test_patients_called_about_more_than_once_are_listed(world):
    for minutes in (0, 40, 300):
        make_call(world, received_at=NIGHT + timedelta(minutes=minutes))
    make_call(world, patient=world.bob)
    handoff = handoff_for(world.coordinator, day=DAY, team=None)
    assert [(p.pk, n) for p, n in handoff.repeated] == [(world.alice.pk, 3)]
    times: list[Any] = [c.times_called for c in handoff.page.object_list]  # type: ignore[attr-defined]
    assert times.count(3) == 3


@pytest.mark.django_db
def test_a_team_sees_the_calls_about_its_members_patients(world):
    team = IdtTeam.objects.create(program=world.riverside, name="North team")
    team.members.add(world.physician)
    about_alice = make_call(world)
    make_call(world, patient=world.bob)  # bob has no care team
    handoff = handoff_for(world.director, day=DAY, team=team)
    assert [c.pk for c in handoff.page.object_list] == [about_alice.pk]


@pytest.mark.django_db
def test_a_clinician_sees_only_the_calls_about_patients_they_reach(world):
    make_call(world)
    assert handoff_for(world.social_worker, day=DAY, team=None).total == 0
    assert handoff_for(world.navigator, day=DAY, team=None).total == 1
    assert handoff_for(world.hillside_coordinator, day=DAY, team=None).total == 0


@pytest.mark.django_db
def test_the_handoff_costs_the_same_queries_for_a_quiet_night_and_a_busy_one(world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            handoff = handoff_for(world.director, day=DAY, team=None)
            for call in handoff.page.object_list:
                _ = [e.sent_to for e in call.escalations.all()]
                _ = call.patient.full_name if call.patient else ""
                _ = call.taken_by.display_name
        return len(captured)

    make_call(world, disposition=Disposition.NURSE_VISIT)
    make_call(world, patient=world.bob)
    with clock.frozen(SHIFT_START):
        handoff_follow_ups_build(program=world.riverside)
    quiet = queries()
    for minutes in range(1, 25):
        make_call(
            world,
            received_at=NIGHT + timedelta(minutes=minutes),
            patient=world.bob if minutes % 2 else world.alice,
            disposition=Disposition.PHYSICIAN_CONSULTED,
        )
    with clock.frozen(SHIFT_START):
        handoff_follow_ups_build(program=world.riverside)
    assert queries() == quiet


# --- the pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_handoff_page_shows_the_calls_repeated_callers_and_follow_ups(world):
    make_call(world, disposition=Disposition.NURSE_VISIT, story="Pain 8 after the patch")
    make_call(world, received_at=NIGHT + timedelta(hours=2), red_flag=True)
    team = IdtTeam.objects.create(program=world.riverside, name="North team")
    with clock.frozen(SHIFT_START + timedelta(hours=1)):
        handoff_follow_ups_build(program=world.riverside)
        client = login(Client(), world.navigator)
        response = client.get(reverse("support:handoff"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Tuesday 24 November 2026" in body
        assert "Alice Anders" in body and "called 2 times" in body
        assert "Follow up last night&#x27;s nurse visit" in body
        assert "Nurse visit tonight" in body and "Red flag" in body
        assert "Pain 8 after the patch" in body
        assert client.get(reverse("support:handoff") + f"?team={team.pk}").status_code == 200
        assert client.get(reverse("support:handoff") + "?day=2026-02-30").status_code == 400
        assert client.get(reverse("support:handoff") + "?team=not-a-team").status_code == 400
        other = "00000000-0000-0000-0000-000000000000"
        assert client.get(reverse("support:handoff") + f"?team={other}").status_code == 404

        pdf = client.get(reverse("support:handoff_pdf") + "?day=2026-11-24")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(event="support.handoff.print", action="print").exists()


@pytest.mark.django_db
def test_the_privacy_officer_gets_no_handoff(world):
    client = login(Client(), world.privacy)
    assert client.get(reverse("support:handoff")).status_code == 403

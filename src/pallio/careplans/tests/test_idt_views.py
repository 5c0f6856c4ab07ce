"""The team meeting pages: who sees what, plain words, refusals that change nothing, the
medical director's not-discussed view, audited reads and fixed query counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import add_to_team, make_patient

from pallio.audit.models import AuditEvent
from pallio.careplans import idt
from pallio.careplans.agenda import REASONS
from pallio.careplans.models import IdtAgendaItem, IdtDecision, IdtMeeting, Task
from pallio.careplans.tests.idt_samples import planned_meeting, riverside_team
from pallio.core import clock
from pallio.core.words import day_text

pytestmark = pytest.mark.django_db


def meeting_url(meeting: IdtMeeting, name: str = "meeting", **kwargs: Any) -> str:
    return reverse(f"idt:{name}", kwargs={"meeting_id": meeting.pk, **kwargs})


def item_url(meeting: IdtMeeting, item: IdtAgendaItem, name: str) -> str:
    return meeting_url(meeting, name, agenda_item_id=item.pk)


def prefix(item: IdtAgendaItem) -> str:
    return f"i{item.pk.hex[:12]}"


def started(world: Any) -> IdtMeeting:
    meeting = planned_meeting(world)
    idt.idt_meeting_start(actor=world.director, meeting=meeting, expected_version=meeting.version)
    return meeting


def alice_item(meeting: IdtMeeting, world: Any) -> IdtAgendaItem:
    return IdtAgendaItem.objects.get(meeting=meeting, patient=world.alice)


def today(world: Any) -> date:
    return clock.today_in(world.riverside.timezone)


def test_the_meeting_page_shows_reasons_in_plain_words_and_audits_the_read(world, as_user):
    meeting = planned_meeting(world)
    response = as_user(world.navigator).get(meeting_url(meeting))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alice Anders" in body and "New admission" in body
    assert f"Admitted to the program {day_text(today(world))}" in body
    for code in REASONS:
        assert f">{code}<" not in body and f"{code}:" not in body
    event = AuditEvent.objects.get(event="idt.meeting.read")
    assert event.detail["patients"] == [str(world.alice.pk)]


@pytest.mark.parametrize(
    "who,status", [("social_worker", 404), ("hillside_nurse", 404), ("privacy", 403)]
)
def test_people_outside_the_team_do_not_reach_the_meeting(world, as_user, who, status):
    meeting = planned_meeting(world)
    client = as_user(getattr(world, who))
    assert client.get(meeting_url(meeting)).status_code == status
    assert (
        client.get(reverse("idt:team", kwargs={"team_id": meeting.team_id})).status_code == status
    )


def test_a_member_sees_only_the_items_of_their_own_patients(world, as_user):
    team = riverside_team(world, world.navigator, world.social_worker)
    meeting = planned_meeting(world, team)
    body = as_user(world.social_worker).get(meeting_url(meeting)).content.decode()
    assert "Alice Anders" not in body and world.alice.mrn not in body
    assert "1 more patient on this agenda is cared for by other members" in body
    item = alice_item(meeting, world)
    response = as_user(world.social_worker).post(
        item_url(meeting, item, "item_discuss"),
        {f"{prefix(item)}-version": item.version, f"{prefix(item)}-discussion": "x"},
    )
    assert response.status_code == 404


def test_run_a_meeting_through_the_pages(world, as_user):
    meeting = planned_meeting(world)
    client = as_user(world.physician)
    response = client.post(meeting_url(meeting, "meeting_start"), {"version": meeting.version})
    assert response.status_code == 302
    meeting.refresh_from_db()
    response = client.post(
        meeting_url(meeting, "attendance"),
        {
            "version": meeting.version,
            "members": [world.navigator.pk, world.physician.pk],
            "others": [world.director.pk],
        },
    )
    assert response.status_code == 302
    item = alice_item(meeting, world)
    response = client.post(
        item_url(meeting, item, "item_discuss"),
        {
            f"{prefix(item)}-version": item.version,
            f"{prefix(item)}-discussion": "Settled at home.",
            f"{prefix(item)}-discussed": "on",
        },
    )
    assert response.status_code == 302
    response = client.post(
        item_url(meeting, item, "decision"),
        {
            f"{prefix(item)}-d-kind": "task",
            f"{prefix(item)}-d-text": "Order a hospital bed",
            f"{prefix(item)}-d-owner": world.navigator.pk,
            f"{prefix(item)}-d-due": (today(world) + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert Task.objects.filter(title="Order a hospital bed", assigned_to=world.navigator).exists()
    page = client.get(meeting_url(meeting)).content.decode()
    assert "Order a hospital bed" in page and "Dana Director" in page
    minutes = client.get(meeting_url(meeting, "minutes")).content.decode()
    assert "Discussion: Settled at home." in minutes
    meeting.refresh_from_db()
    response = client.post(
        meeting_url(meeting, "minutes"),
        {"version": meeting.version, "minutes": "Signed text.", "action": "sign"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.is_signed and meeting.minutes == "Signed text."
    signed = client.get(meeting_url(meeting, "minutes")).content.decode()
    assert "Signed text." in signed and "Signed minutes cannot be changed" in signed
    assert AuditEvent.objects.filter(event="idt.minutes.read").exists()


def test_an_empty_decision_is_refused_with_a_message_and_nothing_written(world, as_user):
    meeting = started(world)
    item = alice_item(meeting, world)
    tasks = Task.objects.count()
    response = as_user(world.physician).post(
        item_url(meeting, item, "decision"),
        {f"{prefix(item)}-d-kind": "task", f"{prefix(item)}-d-text": "Call"},
    )
    assert response.status_code == 400
    assert "Choose who will do it." in response.content.decode()
    assert Task.objects.count() == tasks and not IdtDecision.objects.exists()


def test_a_second_person_typing_into_the_same_item_gets_a_conflict(world, as_user):
    meeting = started(world)
    item = alice_item(meeting, world)
    data = {f"{prefix(item)}-version": item.version}
    first = as_user(world.physician).post(
        item_url(meeting, item, "item_discuss"), {**data, f"{prefix(item)}-discussion": "Mine"}
    )
    assert first.status_code == 302
    second = as_user(world.navigator).post(
        item_url(meeting, item, "item_discuss"), {**data, f"{prefix(item)}-discussion": "Theirs"}
    )
    body = second.content.decode()
    assert second.status_code == 409
    assert "Someone else saved notes for this patient" in body and "Theirs" in body
    assert alice_item(meeting, world).discussion == "Mine"


def test_crafted_posts_after_signing_are_refused_and_change_nothing(world, as_user):
    meeting = started(world)
    item = alice_item(meeting, world)
    meeting.refresh_from_db()
    idt.idt_meeting_sign(
        actor=world.director, meeting=meeting, minutes="Done.", expected_version=meeting.version
    )
    meeting.refresh_from_db()
    client = as_user(world.physician)
    posts = [
        (
            item_url(meeting, item, "item_discuss"),
            {f"{prefix(item)}-version": item.version, f"{prefix(item)}-discussion": "Late"},
        ),
        (
            item_url(meeting, item, "decision"),
            {
                f"{prefix(item)}-d-kind": "task",
                f"{prefix(item)}-d-text": "Late task",
                f"{prefix(item)}-d-owner": world.navigator.pk,
                f"{prefix(item)}-d-due": today(world).isoformat(),
            },
        ),
        (meeting_url(meeting, "attendance"), {"version": meeting.version}),
        (meeting_url(meeting, "agenda_build"), {"version": meeting.version}),
        (meeting_url(meeting, "meeting_start"), {"version": meeting.version}),
        (
            meeting_url(meeting, "minutes"),
            {"version": meeting.version, "minutes": "Rewritten", "action": "save"},
        ),
    ]
    tasks = Task.objects.count()
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert "minutes of this meeting are signed" in response.content.decode(), url
    meeting.refresh_from_db()
    assert meeting.minutes == "Done." and alice_item(meeting, world).discussion == ""
    assert Task.objects.count() == tasks and not IdtDecision.objects.exists()


def test_privileges_refused_through_the_pages_with_the_plain_message(world, as_user):
    volunteer = add_to_team(world, "vic", "volunteer", "Vic", "Volunteer")
    team = riverside_team(world, world.navigator, volunteer)
    meeting = planned_meeting(world, team)
    response = as_user(volunteer).post(
        meeting_url(meeting, "meeting_start"), {"version": meeting.version}
    )
    assert response.status_code == 403
    assert "A volunteer may not run the interdisciplinary team meeting" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == IdtMeeting.Status.PLANNED


def test_plan_a_meeting_from_the_team_page(world, as_user):
    team = riverside_team(world)
    client = as_user(world.navigator)
    page = client.get(reverse("idt:team", kwargs={"team_id": team.pk}))
    assert page.status_code == 200 and "Plan a meeting" in page.content.decode()
    when = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("idt:meeting_create", kwargs={"team_id": team.pk}), {"scheduled_for": when}
    )
    assert response.status_code == 302
    meeting = IdtMeeting.objects.get(team=team)
    assert IdtAgendaItem.objects.filter(meeting=meeting, patient=world.alice).exists()
    bad = client.post(reverse("idt:meeting_create", kwargs={"team_id": team.pk}), {})
    assert bad.status_code == 400 and IdtMeeting.objects.count() == 1
    listing = client.get(reverse("idt:teams")).content.decode()
    assert "Riverside North" in listing


def test_the_not_discussed_view(world, as_user):
    make_patient(world.riverside, "Carol", "Quiet", date(1944, 2, 2), team=(world.navigator,))
    url = reverse("idt:not_discussed")
    body = as_user(world.navigator).get(url).content.decode()
    assert "Alice Anders" in body and "Carol Quiet" in body and "Never" in body
    assert "not discussed in the last 14 days" in body
    meeting = started(world)
    item = alice_item(meeting, world)
    idt.idt_item_discuss(
        actor=world.physician,
        item=item,
        discussion="",
        discussed=True,
        expected_version=item.version,
    )
    body = as_user(world.director).get(url).content.decode()
    assert "Alice Anders" not in body and "Carol Quiet" in body
    assert "Carol Quiet" not in as_user(world.social_worker).get(url).content.decode()
    assert as_user(world.hillside_coordinator).get(url).content.decode().count("Carol") == 0
    assert as_user(world.privacy).get(url).status_code == 403
    assert as_user(world.director).get(url + "?page=abc").status_code == 400
    assert AuditEvent.objects.filter(event="idt.not_discussed.view").count() >= 3
    # Discussed longer ago than the setting: listed again.
    IdtAgendaItem.objects.filter(pk=item.pk).update(discussed_at=clock.now() - timedelta(days=15))
    assert "Alice Anders" in as_user(world.director).get(url).content.decode()


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_patients(world: Any, count: int, offset: int) -> list[Any]:
    return [
        make_patient(
            world.riverside,
            f"Many{n + offset}",
            f"Patient{n + offset}",
            date(1941, 1, 1) + timedelta(days=n + offset),
            team=(world.navigator,),
        )
        for n in range(count)
    ]


def test_the_meeting_page_costs_a_fixed_number_of_queries(world, as_user):
    client = as_user(world.director)
    few_meeting = started(world)
    item = alice_item(few_meeting, world)
    idt.idt_decision_record(
        actor=world.physician,
        item=item,
        kind="task",
        text="Call",
        owner=world.navigator,
        due=today(world),
    )
    few = _queries(client, meeting_url(few_meeting))
    _more_patients(world, 6, 0)
    # Another team of the same members: its first meeting lists everyone newly admitted.
    many_meeting = planned_meeting(
        world, team=riverside_team(world, world.navigator, world.physician)
    )
    idt.idt_meeting_start(
        actor=world.director, meeting=many_meeting, expected_version=many_meeting.version
    )
    for other in IdtAgendaItem.objects.filter(meeting=many_meeting).select_related(
        "meeting", "patient", "episode"
    ):
        idt.idt_decision_record(
            actor=world.physician if other.patient == world.alice else world.director,
            item=other,
            kind="task",
            text="Call",
            owner=world.navigator,
            due=today(world),
        )
    assert IdtAgendaItem.objects.filter(meeting=many_meeting).count() == 7
    many = _queries(client, meeting_url(many_meeting))
    assert few == many, f"{few} queries for 1 item, {many} for 7"
    assert _queries(client, meeting_url(few_meeting, "minutes")) == _queries(
        client, meeting_url(many_meeting, "minutes")
    )


def test_the_not_discussed_view_costs_a_fixed_number_of_queries(world, as_user):
    client = as_user(world.director)
    url = reverse("idt:not_discussed")
    few = _queries(client, url)
    _more_patients(world, 8, 50)
    many = _queries(client, url)
    assert few == many, f"{few} queries for 1 patient, {many} for 9"


def test_create_a_team_from_its_page(world, as_user):
    from pallio.careplans.models import IdtTeam

    url = reverse("idt:team_new")
    client = as_user(world.director)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "", "weekday": "2", "at": "13:00"})
    assert bad.status_code == 400 and not IdtTeam.objects.exists()
    response = client.post(
        url,
        {
            "name": "South team",
            "weekday": "4",
            "at": "09:30",
            "members": [world.navigator.pk, world.social_worker.pk],
        },
    )
    assert response.status_code == 302
    team = IdtTeam.objects.get(name="South team")
    assert team.weekday == 4 and set(team.members.all()) == {world.navigator, world.social_worker}
    foreign = client.post(
        url, {"name": "Mixed", "weekday": "1", "at": "10:00", "members": [world.hillside_nurse.pk]}
    )
    assert foreign.status_code == 400 and not IdtTeam.objects.filter(name="Mixed").exists()
    refused = as_user(world.coordinator).get(url)
    assert refused.status_code == 403
    assert "may not run the interdisciplinary team meeting" in refused.content.decode()


def test_a_long_agenda_is_shown_a_page_at_a_time_and_a_save_returns_to_its_page(
    world, as_user, monkeypatch
):
    from pallio.careplans import idt_selectors

    monkeypatch.setattr(idt_selectors, "AGENDA_PAGE_SIZE", 3)
    _more_patients(world, 6, 0)
    meeting = planned_meeting(world, team=riverside_team(world, world.navigator, world.physician))
    idt.idt_meeting_start(actor=world.director, meeting=meeting, expected_version=meeting.version)
    items = list(IdtAgendaItem.objects.filter(meeting=meeting).order_by("position"))
    assert len(items) == 7
    client = as_user(world.director)
    first = client.get(meeting_url(meeting)).content.decode()
    assert "7 patients on the agenda, 0 discussed. Shown here: 1 to 3" in first
    assert first.count('data-testid="agenda-item"') == 3
    assert "Page 1 of 3" in first and "page=2" in first
    last_item = items[-1]
    last = client.get(meeting_url(meeting) + "?page=3").content.decode()
    assert last.count('data-testid="agenda-item"') == 1 and f"item-{last_item.pk}" in last
    response = client.post(
        item_url(meeting, last_item, "item_discuss"),
        {
            f"{prefix(last_item)}-version": last_item.version,
            f"{prefix(last_item)}-discussion": "Family meeting arranged.",
            f"{prefix(last_item)}-discussed": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?page=3#item-{last_item.pk}")
    # A refused decision is shown again on the item's own page, with the form's message.
    response = client.post(
        item_url(meeting, last_item, "decision"), {f"{prefix(last_item)}-d-kind": "task"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f"item-{last_item.pk}" in body and "Page 3 of 3" in body
    first = client.get(meeting_url(meeting)).content.decode()
    assert "7 patients on the agenda, 1 discussed." in first
    read = AuditEvent.objects.filter(event="idt.meeting.read").order_by("-at").first()
    assert read is not None and len(read.detail["patients"]) == 3

"""The death page: recorded from the chart, shown on the chart, bad input refused."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from pallio.acp.models import PlacePreference
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.episodes.bereavement import ADD_FAMILY_TASK
from pallio.episodes.models import DeathRecord, EpisodeOfCare

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return reverse("enrollment:death", kwargs={"patient_id": patient.pk})


def _local(world, moment) -> str:
    return moment.astimezone(ZoneInfo(world.riverside.timezone)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(autouse=True)
def _enrolled_a_month_ago(world):
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=30))


def test_a_death_recorded_on_the_page_shows_on_the_chart(world, as_user):
    PlacePreference.objects.create(
        program=world.riverside, patient=world.alice, place_of_death="home"
    )
    client = as_user(world.physician)
    page = client.get(_url(world.alice)).content.decode()
    assert "Preferred place of death: <strong>Home</strong>" in page
    response = client.post(
        _url(world.alice),
        {
            "died_at": _local(world, clock.now() - timedelta(hours=3)),
            "place": "icu",
            "present": "Her son O'Brien",
            "expected": "no",
        },
    )
    assert response.status_code == 302
    record = DeathRecord.objects.get(patient=world.alice)
    assert (record.place, record.at_preferred_place, record.expected) == ("icu", False, False)
    assert not (
        Task.objects.filter(patient=world.alice, status="open")
        .exclude(title=ADD_FAMILY_TASK)
        .exists()
    )
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    body = chart.content.decode()
    assert "Intensive care unit" in body and "died elsewhere" in body
    assert "Her son O&#x27;Brien" in body
    assert "discharged, died" in body
    assert _url(world.alice) not in body  # no second "Record a death"
    assert AuditEvent.objects.filter(event="death.record", patient_id=world.alice.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"died_at": "FUTURE", "place": "home"}, "cannot be in the future"),
        ({"died_at": "1949-01-01T10:00", "place": "home"}, "before the date of birth"),
        ({"died_at": "2026-02-30T10:00", "place": "home"}, "Enter a valid date"),
        ({"died_at": "", "place": "home"}, "This field is required"),
        ({"died_at": "PAST", "place": "garden"}, "Select a valid choice"),
        ({"died_at": "PAST", "place": "other"}, "This field is required"),
    ],
)
def test_bad_death_input_on_the_page_is_a_400_and_nothing_changes(world, as_user, data, message):
    moments = {
        "FUTURE": clock.now() + timedelta(hours=2),
        "PAST": clock.now() - timedelta(hours=2),
    }
    if data["died_at"] in moments:
        data = {**data, "died_at": _local(world, moments[data["died_at"]])}
    open_tasks = Task.objects.filter(status="open").count()
    response = as_user(world.physician).post(_url(world.alice), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DeathRecord.objects.exists()
    assert Task.objects.filter(status="open").count() == open_tasks
    world.alice.refresh_from_db()
    assert world.alice.deceased_at is None


def test_a_second_death_record_on_the_page_is_refused(world, as_user):
    client = as_user(world.physician)
    data = {"died_at": _local(world, clock.now() - timedelta(hours=2)), "place": "home"}
    assert client.post(_url(world.alice), data).status_code == 302
    again = client.post(_url(world.alice), {**data, "place": "icu"})
    assert again.status_code == 400
    assert "already recorded" in again.content.decode()
    assert DeathRecord.objects.get().place == "home"


def test_the_privacy_officer_and_an_off_team_clinician_are_refused(world, as_user):
    assert as_user(world.privacy).get(_url(world.alice)).status_code == 403
    client = as_user(world.social_worker)
    assert client.get(_url(world.alice)).status_code == 404
    assert client.post(_url(world.alice), {"place": "home"}).status_code in (403, 404)
    assert not DeathRecord.objects.exists()

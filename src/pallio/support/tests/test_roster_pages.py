"""The roster pages, the "on call now" line of every staff page and the chart, and the API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.accounts.services import api_token_create
from pallio.core import clock
from pallio.support import roster
from pallio.support.models import Line, RosterPattern, Shift

NOON = datetime(2026, 10, 26, 16, 0, tzinfo=UTC)
MONDAY = date(2026, 10, 26)


@pytest.fixture
def frozen():
    with clock.frozen(NOON):
        yield


def pattern(world) -> None:
    for weekday in range(7):
        roster.pattern_slot_add(
            actor=world.coordinator,
            line=Line.FIRST,
            weekday=weekday,
            start_time=time(8),
            hours=24,
            user=world.navigator,
        )


@pytest.mark.django_db
def test_the_roster_page_shows_the_fortnight_swaps_and_gaps(world, as_user, frozen):
    pattern(world)
    roster.shifts_build(
        actor=world.coordinator, program=world.riverside, first=MONDAY, last=MONDAY + timedelta(13)
    )
    shift = Shift.objects.filter(line=Line.FIRST).order_by("starts_at")[2]
    roster.shift_swap(actor=world.coordinator, shift=shift, to_user=world.physician, note="Exam")
    response = as_user(world.navigator).get(reverse("support:roster"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="roster-day"') == 14
    assert "instead of Nina Navigator: Exam" in page
    assert "Nobody on call" in page and "Second line (physician)" in page
    assert "Add a shift" not in page  # a clinician sees the roster, does not edit it
    assert (
        "Add a shift" in as_user(world.coordinator).get(reverse("support:roster")).content.decode()
    )


@pytest.mark.django_db
def test_a_bad_week_is_a_plain_400(world, as_user):
    response = as_user(world.coordinator).get(reverse("support:roster") + "?week=soon")
    assert response.status_code == 400


@pytest.mark.django_db
def test_every_staff_page_says_who_is_on_call_now(world, as_user, frozen):
    page = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    assert 'data-testid="on-call-now"' in page
    assert 'Backup: <span class="fw-semibold">Owen Oncall</span>' in page
    assert 'First line (nurse): <span class="text-danger-emphasis fw-semibold">nobody' in page


@pytest.mark.django_db
def test_the_chart_shows_the_patient_facing_number_and_who_is_on_call(world, as_user, frozen):
    page = (
        as_user(world.navigator)
        .get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
        .content.decode()
    )
    assert 'data-testid="chart-on-call"' in page
    assert "617-555-0100" in page
    assert "Owen Oncall" in page


def _page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_on_call_line_costs_the_same_however_long_the_roster(world, as_user, frozen):
    client = as_user(world.navigator)
    url = reverse("episodes:caseload")
    few = _page_queries(client, url)
    pattern(world)
    roster.shifts_build(
        actor=world.coordinator, program=world.riverside, first=MONDAY - timedelta(30),
        last=MONDAY + timedelta(60),
    )  # fmt: skip
    assert _page_queries(client, url) == few
    roster_url = reverse("support:roster")
    before = _page_queries(client, roster_url)
    roster.shifts_build(
        actor=world.coordinator, program=world.riverside, first=MONDAY + timedelta(61),
        last=MONDAY + timedelta(90),
    )  # fmt: skip
    assert _page_queries(client, roster_url) == before


@pytest.mark.django_db
def test_pattern_and_shift_forms_explain_bad_input_and_change_nothing(world, as_user, frozen):
    client = as_user(world.coordinator)
    response = client.post(
        reverse("support:roster_pattern"),
        {"line": "first", "weekday": "0", "start_time": "08:00", "hours": "30",
         "user": str(world.hillside_nurse.pk)},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    assert "A slot lasts from 1 to 24 hours." in page
    assert "Choose a clinician of this program." in page
    assert not RosterPattern.objects.exists()

    new = reverse("support:roster_shift_new")
    assert client.get(new).status_code == 200
    response = client.post(
        new,
        {"line": "second", "user": str(world.physician.pk), "starts_at": "2026-10-27T17:00",
         "ends_at": "2026-10-27T08:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    response = client.post(
        new,
        {"line": "second", "user": str(world.physician.pk), "starts_at": "2026-10-27T17:00",
         "ends_at": "2026-10-28T08:00"},
    )  # fmt: skip
    assert response.status_code == 302
    shift = Shift.objects.get(line=Line.SECOND)
    assert shift.starts_at == datetime(2026, 10, 27, 21, tzinfo=UTC)  # 17:00 in New York
    response = client.post(
        new,
        {"line": "second", "user": str(world.director.pk), "starts_at": "2026-10-28T07:00",
         "ends_at": "2026-10-28T12:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Phil Physician already covers this line" in response.content.decode()

    swap = reverse("support:roster_swap", kwargs={"shift_id": shift.pk})
    assert client.get(swap).status_code == 200
    response = client.post(swap, {"to_user": str(world.director.pk), "note": ""})
    assert response.status_code == 400
    assert "Say why the shift changes hands." in response.content.decode()
    assert client.post(swap, {"to_user": str(world.director.pk), "note": "Ill"}).status_code == 302
    shift.refresh_from_db()
    assert (shift.user, shift.swapped_from) == (world.director, world.physician)

    cancel = reverse("support:roster_cancel", kwargs={"shift_id": shift.pk})
    assert client.get(cancel).status_code == 200
    assert client.post(cancel, {"reason": ""}).status_code == 400
    assert client.post(cancel, {"reason": "Not needed"}).status_code == 302
    assert Shift.objects.get(pk=shift.pk).cancelled


@pytest.mark.django_db
def test_the_pattern_pages_add_change_remove_and_build(world, as_user, frozen):
    client = as_user(world.director)
    assert client.get(reverse("support:roster_pattern")).status_code == 200
    response = client.post(
        reverse("support:roster_pattern"),
        {"line": "second", "weekday": "0", "start_time": "17:00", "hours": "15",
         "user": str(world.physician.pk), "holiday_user": str(world.director.pk)},
    )  # fmt: skip
    assert response.status_code == 302
    slot = RosterPattern.objects.get()
    edit = reverse("support:roster_slot", kwargs={"slot_id": slot.pk})
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {"line": "second", "weekday": "1", "start_time": "18:00", "hours": "14",
         "user": str(world.physician.pk), "holiday_user": ""},
    )  # fmt: skip
    assert response.status_code == 302
    slot.refresh_from_db()
    assert (slot.weekday, slot.hours, slot.holiday_user) == (1, 14, None)
    response = client.post(
        reverse("support:roster_build"), {"first": "2026-10-26", "last": "2026-11-08"}
    )
    assert response.status_code == 302
    assert Shift.objects.filter(line=Line.SECOND).count() == 2
    response = client.post(
        reverse("support:roster_build"), {"first": "2026-11-08", "last": "2026-10-26"}
    )
    assert response.status_code == 400
    assert "The last day must not be before the first." in response.content.decode()
    client.post(reverse("support:roster_slot_remove", kwargs={"slot_id": slot.pk}))
    assert not RosterPattern.objects.exists()


@pytest.mark.django_db
def test_only_the_coordinator_and_director_reach_the_editing_pages(world, as_user):
    for user in (world.navigator, world.oncall, world.privacy):
        client = as_user(user)
        assert client.get(reverse("support:roster_pattern")).status_code == 403
        assert client.get(reverse("support:roster_shift_new")).status_code == 403
    assert as_user(world.privacy).get(reverse("support:roster")).status_code == 403
    # Another program's shift is not there at all.
    assert (
        as_user(world.hillside_coordinator)
        .get(reverse("support:roster_swap", kwargs={"shift_id": world.oncall_shift.pk}))
        .status_code
        == 404
    )


# --- API -------------------------------------------------------------------------------------


def token(user):
    from django.test import Client

    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.django_db
def test_the_api_says_who_is_on_call_now_per_line(world, frozen):
    response = token(world.navigator).get("/api/v1/support/roster/on-call")
    assert response.status_code == 200
    rows = {row["line"]: row for row in response.json()}
    assert rows["backup"]["person"]["name"] == "Owen Oncall"
    assert rows["first"]["person"] is None
    assert token(world.privacy).get("/api/v1/support/roster/on-call").status_code == 403


@pytest.mark.django_db
def test_the_api_lists_the_shifts_of_a_period(world, frozen):
    pattern(world)
    roster.shifts_build(
        actor=world.coordinator, program=world.riverside, first=MONDAY, last=MONDAY + timedelta(6)
    )
    client = token(world.navigator)
    response = client.get(
        "/api/v1/support/roster/shifts",
        {"start": "2026-10-26T12:00:00Z", "end": "2026-11-02T12:00:00Z"},
    )
    assert response.status_code == 200
    shifts = response.json()
    assert len([s for s in shifts if s["line"] == "first"]) == 7
    assert all(s["person"]["name"] for s in shifts)
    for bad in (
        {"start": "2026-11-02T12:00:00Z", "end": "2026-10-26T12:00:00Z"},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z"},
        {"start": "yesterday", "end": "2026-12-31T00:00:00Z"},
    ):
        response = client.get("/api/v1/support/roster/shifts", bad)
        assert response.status_code == 422, (bad, response.content)
        json.dumps(response.json())
    # Hillside sees its own (empty) roster, never Riverside's.
    response = token(world.hillside_coordinator).get(
        "/api/v1/support/roster/shifts",
        {"start": "2026-10-26T12:00:00Z", "end": "2026-11-02T12:00:00Z"},
    )
    assert response.json() == []

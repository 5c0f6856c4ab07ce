"""The clinician's calendar feed: one active feed per clinician, its secret kept only as a
hash, revoking or replacing it makes the old address a 404; the feed itself read back with
the icalendar library (events, stable UIDs, UTC times, no patient information beyond initials
and setting unless the program allows names and places; cancelled visits and colleagues'
visits left out); the page and who reaches it; every fetch audited without patient
information."""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from icalendar import Calendar

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.programs.setting_checks import setting_problems
from pallio.visits.models import CalendarFeed
from pallio.visits.services import scheduling
from pallio.visits.services.calendar_feeds import calendar_feed_create, calendar_feed_revoke
from pallio.visits.tests.scheduling_helpers import at, book

pytestmark = pytest.mark.django_db


def feed_url(secret: str) -> str:
    return reverse("visits:calendar_ics", kwargs={"feed_secret": secret})


def fetch(client: Any, secret: str) -> Any:
    return client.get(feed_url(secret))


def events_of(response: Any) -> list[Any]:
    calendar = Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


def allow_names(world: Any) -> None:
    world.riverside.settings = {
        **world.riverside.settings,
        "calendar_feed_detail": "names_and_places",
        "video_url_template": "https://video.example.org/join/{room}",
    }
    world.riverside.save()


# --- services ------------------------------------------------------------------------------------


def test_the_feed_secret_is_kept_only_as_its_sha256(world):
    feed, secret = calendar_feed_create(actor=world.physician)
    assert len(secret) >= 40
    assert feed.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = CalendarFeed.objects.values_list("secret_hash", flat=True)
    assert secret not in list(stored)
    assert feed.created_at <= clock.now()
    assert feed.revoked_at is None and feed.last_used_at is None


def test_a_clinician_has_one_active_feed_and_a_new_one_replaces_the_old(world, client):
    first, old_secret = calendar_feed_create(actor=world.physician)
    second, new_secret = calendar_feed_create(actor=world.physician)
    assert CalendarFeed.objects.filter(clinician=world.physician, revoked_at=None).count() == 1
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert fetch(client, old_secret).status_code == 404
    assert fetch(client, new_secret).status_code == 200


def test_revoking_makes_the_address_404_and_is_audited(world, client):
    _feed, secret = calendar_feed_create(actor=world.physician)
    assert fetch(client, secret).status_code == 200
    assert calendar_feed_revoke(actor=world.physician) is True
    response = fetch(client, secret)
    assert response.status_code == 404
    assert b"calendar" not in response.content.lower()
    assert calendar_feed_revoke(actor=world.physician) is False
    events = list(
        AuditEvent.objects.filter(event__startswith="calendar_feed.").values_list(
            "event", flat=True
        )
    )
    assert "calendar_feed.create" in events and "calendar_feed.revoke" in events


def test_only_staff_who_can_have_visits_booked_may_have_a_feed(world):
    with pytest.raises(PermissionDenied):
        calendar_feed_create(actor=world.privacy)
    with pytest.raises(PermissionDenied):
        calendar_feed_revoke(actor=world.privacy)
    world.physician.is_active = False
    world.physician.save()
    with pytest.raises(PermissionDenied):
        calendar_feed_create(actor=world.physician)


def test_a_feed_of_a_clinician_who_left_no_longer_answers(world, client):
    _feed, secret = calendar_feed_create(actor=world.physician)
    world.physician.is_active = False
    world.physician.save()
    assert fetch(client, secret).status_code == 404


def test_the_calendar_feed_detail_setting_is_checked():
    assert setting_problems("calendar_feed_detail", "initials") == []
    assert setting_problems("calendar_feed_detail", "names_and_places") == []
    assert setting_problems("calendar_feed_detail", "everything")


# --- the feed ------------------------------------------------------------------------------------


def test_the_feed_lists_the_clinicians_visits_with_initials_and_setting_only(world, client):
    home = book(world)
    clinic_visit = book(
        world, setting="telehealth", place=None, starts_at=at(world, 3, 9), ends_at=at(world, 3, 10)
    )
    _feed, secret = calendar_feed_create(actor=world.physician)
    response = fetch(client, secret)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex"
    events = events_of(response)
    assert [str(e["UID"]) for e in events] == [
        f"scheduled-visit-{home.pk}@pallio",
        f"scheduled-visit-{clinic_visit.pk}@pallio",
    ]
    first = events[0]
    assert first.decoded("DTSTART") == home.starts_at.astimezone(UTC)
    assert first.decoded("DTSTART").utcoffset() == timedelta(0)
    assert first.decoded("DTEND") == home.ends_at.astimezone(UTC)
    assert b"DTSTART:" in response.content and b"Z\r\n" in response.content
    assert str(first["SUMMARY"]) == "Visit A.A. \u00b7 Home"
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(events[1]["SUMMARY"]) == "Visit A.A. \u00b7 Video (telehealth)"
    body = response.content.decode()
    for phi in ("Alice", "Anders", "Elm Street", "Cambridge", "02139", "Door code"):
        assert phi not in body
    assert "LOCATION" not in body and "video.example.org" not in body


def test_the_uid_stays_the_same_when_a_visit_is_moved(world, client):
    visit = book(world)
    _feed, secret = calendar_feed_create(actor=world.physician)
    before = str(events_of(fetch(client, secret))[0]["UID"])
    scheduling.scheduled_visit_reschedule(
        actor=world.navigator,
        visit=visit,
        starts_at=at(world, 4, 10),
        ends_at=at(world, 4, 11),
        expected_version=visit.version,
    )
    event = events_of(fetch(client, secret))[0]
    assert str(event["UID"]) == before
    assert event.decoded("DTSTART") == at(world, 4, 10).astimezone(UTC)


def test_names_and_places_show_when_the_program_allows_them(world, client):
    allow_names(world)
    book(world)
    video = book(
        world, setting="telehealth", place=None, starts_at=at(world, 3, 9), ends_at=at(world, 3, 10)
    )
    _feed, secret = calendar_feed_create(actor=world.physician)
    home_event, video_event = events_of(fetch(client, secret))
    assert str(home_event["SUMMARY"]) == "Visit Alice Anders \u00b7 Home"
    assert "12 Elm Street" in str(home_event["LOCATION"])
    assert "Door code" not in str(home_event["LOCATION"])
    assert str(video_event["URL"]) == video.join_url
    assert video.join_url in str(video_event["DESCRIPTION"])


def test_cancelled_visits_and_colleagues_visits_are_left_out(world, client):
    kept = book(world)
    cancelled = book(world, starts_at=at(world, 5, 10), ends_at=at(world, 5, 11))
    scheduling.scheduled_visit_cancel(
        actor=world.navigator, visit=cancelled, reason="Family asked", expected_version=1
    )
    colleague = book(world, clinician=world.navigator)
    _feed, secret = calendar_feed_create(actor=world.physician)
    uids = [str(e["UID"]) for e in events_of(fetch(client, secret))]
    assert uids == [f"scheduled-visit-{kept.pk}@pallio"]
    assert str(colleague.pk) not in fetch(client, secret).content.decode()


def test_the_feed_covers_two_weeks_back_to_ninety_days_ahead(world, client):
    old = book(world, starts_at=at(world, 2, 10), ends_at=at(world, 2, 11))
    far = book(world, starts_at=at(world, 80, 10), ends_at=at(world, 80, 11))
    _feed, secret = calendar_feed_create(actor=world.physician)
    with clock.frozen(clock.now() + timedelta(days=10)):
        uids = [str(e["UID"]) for e in events_of(fetch(client, secret))]
    assert uids == [f"scheduled-visit-{old.pk}@pallio", f"scheduled-visit-{far.pk}@pallio"]
    with clock.frozen(clock.now() + timedelta(days=20)):
        uids = [str(e["UID"]) for e in events_of(fetch(client, secret))]
    assert uids == [f"scheduled-visit-{far.pk}@pallio"]
    with clock.frozen(clock.now() - timedelta(days=20)):
        uids = [str(e["UID"]) for e in events_of(fetch(client, secret))]
    assert uids == [f"scheduled-visit-{old.pk}@pallio"]


def test_each_fetch_is_audited_as_the_clinicians_read_without_patient_information(world, client):
    book(world)
    feed, secret = calendar_feed_create(actor=world.physician)
    start = clock.now()
    with clock.frozen(start):
        fetch(client, secret)
        fetch(client, secret)
    feed.refresh_from_db()
    assert feed.last_used_at == start
    with clock.frozen(start + timedelta(seconds=30)):
        fetch(client, secret)
    feed.refresh_from_db()
    assert feed.last_used_at == start
    with clock.frozen(start + timedelta(minutes=2)):
        fetch(client, secret)
    feed.refresh_from_db()
    assert feed.last_used_at == start + timedelta(minutes=2)
    reads = AuditEvent.objects.filter(event="calendar_feed.read")
    assert reads.count() == 4
    row = reads.first()
    assert row is not None
    assert row.user_id == world.physician.pk and row.action == "read"
    assert row.program_id == world.riverside.pk
    assert row.patient_id is None
    text = str(row.detail)
    assert "Alice" not in text and "A.A." not in text and secret not in text


def test_an_unknown_or_empty_token_is_a_plain_404(world, client):
    calendar_feed_create(actor=world.physician)
    assert client.get("/visits/calendar/nonsense.ics").status_code == 404
    assert client.get("/visits/calendar/.ics").status_code == 404
    assert client.get("/visits/calendar/").status_code == 404
    assert not AuditEvent.objects.filter(event="calendar_feed.read").exists()


# --- the page ------------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_user(world, client):
    url = reverse("visits:calendar_feed")
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(reverse("visits:calendar_feed_create"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert not CalendarFeed.objects.exists()


def test_the_page_makes_shows_once_and_turns_off_the_feed(world, as_user):
    client = as_user(world.physician)
    schedule = client.get(reverse("visits:my_schedule")).content.decode()
    assert reverse("visits:calendar_feed") in schedule
    page = client.get(reverse("visits:calendar_feed")).content.decode()
    assert "You have no calendar feed." in page
    made = client.post(reverse("visits:calendar_feed_create"), follow=True)
    assert made.redirect_chain == [(reverse("visits:calendar_feed"), 302)]
    body = made.content.decode()
    assert "shown only this once" in body
    feed = CalendarFeed.objects.get(clinician=world.physician, revoked_at=None)
    start = body.index("http://testserver/visits/calendar/")
    url = body[start : body.index('"', start)]
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert hashlib.sha256(secret.encode()).hexdigest() == feed.secret_hash
    again = client.get(reverse("visits:calendar_feed")).content.decode()
    assert "Your feed is on." in again and secret not in again
    assert "calendar_feed_new_url" not in client.session
    client.post(reverse("visits:calendar_feed_revoke"))
    assert (
        "You have no calendar feed." in client.get(reverse("visits:calendar_feed")).content.decode()
    )
    assert client.get(url.removeprefix("http://testserver")).status_code == 404


def test_the_page_refuses_staff_who_have_no_schedule(world, as_user):
    client = as_user(world.privacy)
    assert client.get(reverse("visits:calendar_feed")).status_code in (403, 404)
    assert client.post(reverse("visits:calendar_feed_create")).status_code in (403, 404)
    assert not CalendarFeed.objects.exists()


def test_the_administrator_chooses_what_calendar_feeds_show(world, as_user):
    from tests.support.personas import make_staff

    from pallio.programs.forms import ProgramSettingsForm

    admin = make_staff(world.riverside, "ada", "program_admin", "administration", "Ada", "Admin")
    client = as_user(admin)
    page = client.get(reverse("programs:settings")).content.decode()
    assert "What clinicians&#x27; calendar feeds show" in page
    form = ProgramSettingsForm(program=world.riverside, staff=[])
    assert form.initial["calendar_feed_detail"] == "initials"
    data = {k: v for k, v in form.initial.items() if v is not None}
    data = {k: (v if not isinstance(v, bool) else ("on" if v else "")) for k, v in data.items()}
    data["calendar_feed_detail"] = "names_and_places"
    client.post(reverse("programs:settings"), data)
    world.riverside.refresh_from_db()
    assert world.riverside.setting("calendar_feed_detail") == "names_and_places"

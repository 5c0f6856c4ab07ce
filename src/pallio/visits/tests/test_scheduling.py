"""Places and scheduled visits: booking, rescheduling, cancelling and no-shows through the
services; a clinician never in two places at once (the service on SQLite, the exclusion
constraint on PostgreSQL, and two bookings racing); the access notes shown only to the
visiting clinician, audited; the video link; the pages and who reaches them."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.programs.setting_checks import setting_problems
from pallio.visits.models import Place, ScheduledVisit
from pallio.visits.schedule_selectors import access_notes_for, schedule_for
from pallio.visits.services import scheduling
from pallio.visits.tests.scheduling_helpers import alice_home, at, book, clinic

pytestmark = pytest.mark.django_db


def messages_of(exc: Any) -> str:
    return " ".join(exc.value.messages)


# --- places ------------------------------------------------------------------------------------


def test_a_home_keeps_its_address_geocode_and_access_notes(world):
    home = alice_home(world)
    assert home.is_home and home.patient == world.alice
    assert home.address == "12 Elm Street, Cambridge, 02139"
    assert str(home.latitude) == "42.365100" and home.geocode_source == "entered"
    assert AuditEvent.objects.filter(event="place.create", patient_id=world.alice.pk).exists()


def test_a_home_without_coordinates_is_left_off_the_map_when_no_gazetteer_answers(world):
    home = alice_home(world, latitude="", longitude="")
    assert home.latitude is None or home.geocode_source == "gazetteer"


def test_bad_coordinates_and_half_a_geocode_are_refused_in_words(world):
    with pytest.raises(ValidationError) as exc:
        alice_home(world, latitude="91", longitude="x")
    assert "from -90 to 90" in messages_of(exc) and "42.360100" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        alice_home(world, longitude="")
    assert "both the latitude and the longitude" in messages_of(exc)


def test_a_facility_cannot_be_saved_as_a_home(world):
    with pytest.raises(ValidationError):
        alice_home(world, setting="clinic")


# --- booking ---------------------------------------------------------------------------------


def test_a_home_visit_is_booked_and_audited(world):
    visit = book(world)
    assert visit.status == "booked" and visit.discipline == "physician"
    assert visit.place.patient == world.alice and visit.mode == "in_person"
    assert AuditEvent.objects.filter(event="scheduled_visit.book", patient_id=world.alice.pk)


def test_the_priority_defaults_to_what_triage_set(world):
    from pallio.referrals.models import Referral

    Referral.objects.filter(pk__in=[]).exists()  # the model is there
    visit = book(world, priority=None)
    assert visit.priority in ("urgent", "soon", "routine")
    assert scheduling.triage_priority_of(world.alice) == visit.priority


def test_a_visit_ending_before_it_starts_is_refused_in_words(world):
    with pytest.raises(ValidationError) as exc:
        book(world, starts_at=at(world, 2, 11), ends_at=at(world, 2, 10))
    assert "must end after it starts" in messages_of(exc)


def test_a_visit_in_the_past_is_refused_in_words(world):
    with pytest.raises(ValidationError) as exc:
        book(world, starts_at=at(world, -1, 10), ends_at=at(world, -1, 11))
    assert "already passed" in messages_of(exc)


def test_an_unknown_place_is_refused_in_words(world):
    other = clinic(world, program=world.hillside)
    with pytest.raises(ValidationError) as exc:
        book(world, setting="clinic", place=other)
    assert "This place is not known" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        book(world, setting="clinic", place=None)
    assert "Choose where the visit takes place" in messages_of(exc)


def test_another_patients_home_is_not_a_place_for_this_patient(world):
    bobs = alice_home(world, actor=world.coordinator, patient=world.bob, name="Bob's home")
    with pytest.raises(ValidationError) as exc:
        book(world, place=bobs)
    assert "This place is not known" in messages_of(exc)


def test_a_clinician_off_the_care_team_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        book(world, clinician=world.social_worker)
    assert "not on this patient's care team" in messages_of(exc)


def test_a_clinician_cannot_be_in_two_places_at_once(world):
    book(world)
    with pytest.raises(ValidationError) as exc:
        book(
            world,
            setting="clinic",
            place=clinic(world),
            starts_at=at(world, 2, 10, 30),
            ends_at=at(world, 2, 11, 30),
        )
    assert "cannot be in two places at once" in messages_of(exc)
    assert ScheduledVisit.objects.count() == 1


def test_back_to_back_visits_and_a_cancelled_slot_are_free(world):
    first = book(world)
    book(world, starts_at=at(world, 2, 11), ends_at=at(world, 2, 12))
    scheduling.scheduled_visit_cancel(
        actor=world.navigator, visit=first, reason="Patient in hospital"
    )
    book(world, starts_at=at(world, 2, 10), ends_at=at(world, 2, 11))
    assert ScheduledVisit.objects.filter(status="booked").count() == 2


def test_an_actor_who_cannot_reach_the_patient_cannot_book(world):
    with pytest.raises(PermissionDenied):
        book(world, actor=world.social_worker)


def test_a_volunteer_may_not_book(world):
    from tests.support.personas import make_staff

    volunteer = make_staff(
        world.riverside, "val", "intake_coordinator", "volunteer", "Val", "Volunteer"
    )
    with pytest.raises(PrivilegeDenied):
        book(world, actor=volunteer)


# --- video -----------------------------------------------------------------------------------


def test_a_video_visit_carries_a_join_link_from_the_programs_template(world):
    world.riverside.settings = {"video_url_template": "https://video.example.org/join/{room}"}
    world.riverside.save()
    visit = book(world, setting="telehealth", place=None)
    assert visit.mode == "video"
    assert visit.join_url.startswith("https://video.example.org/join/pallio-")
    assert "alice" not in visit.join_url.lower()


def test_without_a_video_service_the_video_visit_has_no_link(world):
    visit = book(world, setting="telehealth", place=None)
    assert visit.join_url == ""


def test_the_video_setting_is_checked():
    assert setting_problems("video_url_template", "") == []
    assert setting_problems("video_url_template", "https://v.example.org/{room}") == []
    assert setting_problems("video_url_template", "http://v.example.org/{room}")
    assert setting_problems("video_url_template", "https://v.example.org/fixed")


# --- rescheduling, cancelling, no-show --------------------------------------------------------


def test_reschedule_moves_the_visit_and_refuses_an_overlap(world):
    first = book(world)
    second = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    moved = scheduling.scheduled_visit_reschedule(
        actor=world.navigator, visit=first, starts_at=at(world, 2, 14), ends_at=at(world, 2, 15)
    )
    assert moved.starts_at == at(world, 2, 14) and moved.version == 2
    with pytest.raises(ValidationError) as exc:
        scheduling.scheduled_visit_reschedule(
            actor=world.navigator,
            visit=second,
            starts_at=at(world, 2, 14, 30),
            ends_at=at(world, 2, 15, 30),
        )
    assert "two places at once" in messages_of(exc)
    assert AuditEvent.objects.filter(event="scheduled_visit.reschedule").count() == 1


def test_cancel_needs_a_reason_and_a_cancelled_visit_cannot_change(world):
    visit = book(world)
    with pytest.raises(ValidationError) as exc:
        scheduling.scheduled_visit_cancel(actor=world.navigator, visit=visit, reason=" ")
    assert "Say why" in messages_of(exc)
    scheduling.scheduled_visit_cancel(actor=world.navigator, visit=visit, reason="Admitted")
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.cancel_reason == "Admitted"
    with pytest.raises(ValidationError) as exc:
        scheduling.scheduled_visit_cancel(actor=world.navigator, visit=visit, reason="Again")
    assert "Only a booked visit" in messages_of(exc)


def test_a_no_show_is_recorded_only_once_the_visit_has_started(world):
    visit = book(world)
    with pytest.raises(ValidationError):
        scheduling.scheduled_visit_no_show(actor=world.navigator, visit=visit)
    with clock.frozen(visit.starts_at + timedelta(minutes=20)):
        scheduling.scheduled_visit_no_show(actor=world.navigator, visit=visit)
    visit.refresh_from_db()
    assert visit.status == "no_show"
    assert AuditEvent.objects.filter(event="scheduled_visit.no_show").exists()


# --- access notes ------------------------------------------------------------------------------


def test_access_notes_are_shown_to_the_visiting_clinician_only_and_audited(world):
    visit = book(world)
    assert access_notes_for(world.navigator, visit) is None
    assert not AuditEvent.objects.filter(event="place.access_notes_read").exists()
    assert "Door code 4512" in (access_notes_for(world.physician, visit) or "")
    row = AuditEvent.objects.get(event="place.access_notes_read")
    assert row.user_id == world.physician.pk and row.patient_id == world.alice.pk


# --- calendars ---------------------------------------------------------------------------------


def test_the_week_lists_visits_by_day_and_hides_unreachable_patients(world):
    book(world)
    book(world, clinician=world.navigator, priority="urgent")
    start = at(world, 2, 0).date()
    week = schedule_for(world.physician, start=start, days=7)
    entries = [e for d in week for e in d.entries]
    assert len(entries) == 2 and all(e.reachable for e in entries)
    assert entries[0].visit.is_urgent  # same time: urgent first
    mine = schedule_for(world.physician, start=start, days=1, clinician=world.physician)
    assert len(mine[0].entries) == 1
    other = schedule_for(world.social_worker, start=start, days=7)
    assert [e.reachable for d in other for e in d.entries] == [False, False]


# --- the database constraint (PostgreSQL) and the race -----------------------------------------

pg_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the exclusion constraint is PostgreSQL's"
)


@pg_only
def test_the_database_refuses_a_clinician_in_two_places_at_once(world):
    first = book(world)
    row = ScheduledVisit(
        program=world.riverside,
        patient=world.alice,
        clinician=world.physician,
        discipline="physician",
        kind="follow_up",
        setting="telehealth",
        mode="video",
        starts_at=first.starts_at + timedelta(minutes=30),
        ends_at=first.ends_at + timedelta(minutes=30),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
    row.status = "cancelled"
    row.save()  # a cancelled visit holds no time


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_trail_deletable")
@pg_only
def test_two_bookings_racing_for_the_same_time_one_wins_and_the_other_is_told(world):
    home = alice_home(world)
    start = threading.Barrier(2)
    results: list[Any] = []

    def run(hour_minute: int) -> None:
        start.wait()
        try:
            results.append(
                book(
                    world,
                    place=home,
                    starts_at=at(world, 2, 10, hour_minute),
                    ends_at=at(world, 2, 11, hour_minute),
                )
            )
        except ValidationError as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(m,)) for m in (0, 15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [r for r in results if isinstance(r, ScheduledVisit)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1
    text = " ".join(lost[0].messages)
    assert "two places at once" in text or "just booked" in text
    assert ScheduledVisit.objects.filter(status="booked").count() == 1


# --- pages -------------------------------------------------------------------------------------


def test_book_a_home_visit_through_the_page(world, as_user):
    home = alice_home(world)
    client = as_user(world.navigator)
    page = client.get(reverse("visits:book", kwargs={"patient_id": world.alice.pk}))
    assert page.status_code == 200 and "Book a visit" in page.content.decode()
    response = client.post(
        reverse("visits:book", kwargs={"patient_id": world.alice.pk}),
        {
            "clinician": str(world.physician.uuid),
            "setting": "home",
            "place": str(home.pk),
            "kind": "follow_up",
            "priority": "urgent",
            "starts_at": at(world, 2, 10).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(world, 2, 11).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    visit = ScheduledVisit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "visits:scheduled", kwargs={"scheduled_visit_id": visit.pk}
    )
    listing = client.get(reverse("visits:patient", kwargs={"patient_id": world.alice.pk}))
    body = listing.content.decode()
    assert "Upcoming visits" in body and "Urgent" in body


def test_the_booking_page_tells_a_visit_ending_before_it_starts(world, as_user):
    client = as_user(world.navigator)
    response = client.post(
        reverse("visits:book", kwargs={"patient_id": world.alice.pk}),
        {
            "clinician": str(world.physician.uuid),
            "setting": "telehealth",
            "kind": "follow_up",
            "priority": "routine",
            "starts_at": at(world, 2, 11).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(world, 2, 10).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()


def test_the_visit_page_shows_access_notes_only_to_the_visiting_clinician(world, as_user, client):
    visit = book(world)
    url = reverse("visits:scheduled", kwargs={"scheduled_visit_id": visit.pk})
    assert "Door code" not in as_user(world.navigator).get(url).content.decode()
    client.logout()
    assert "Door code 4512" in as_user(world.physician).get(url).content.decode()


def test_cancel_and_reschedule_through_the_pages(world, as_user):
    visit = book(world)
    client = as_user(world.navigator)
    moved = client.post(
        reverse("visits:reschedule", kwargs={"scheduled_visit_id": visit.pk}),
        {
            "version": visit.version,
            "starts_at": at(world, 4, 9).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": at(world, 4, 8).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert moved.status_code == 400 and "must end after it starts" in moved.content.decode()
    cancelled = client.post(
        reverse("visits:cancel", kwargs={"scheduled_visit_id": visit.pk}),
        {"version": visit.version, "reason": "The family asked to wait"},
    )
    assert cancelled.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "cancelled"


@pytest.mark.parametrize("name", ["visits:my_schedule", "visits:team_schedule"])
def test_the_calendars_open_for_a_clinician_and_ask_strangers_to_sign_in(
    world, as_user, client, name
):
    book(world)
    assert client.get(reverse(name)).status_code == 302
    page = as_user(world.physician).get(
        reverse(name), {"view": "week", "date": at(world, 2, 0).date().isoformat()}
    )
    assert page.status_code == 200 and "Alice" in page.content.decode()


def test_another_programs_patient_and_visit_are_not_found(world, as_user):
    visit = book(world)
    client = as_user(world.hillside_nurse)
    assert (
        client.get(reverse("visits:book", kwargs={"patient_id": world.alice.pk})).status_code == 404
    )
    assert (
        client.get(reverse("visits:place_new", kwargs={"patient_id": world.alice.pk})).status_code
        == 404
    )
    for name in ("scheduled",):
        assert (
            client.get(
                reverse(f"visits:{name}", kwargs={"scheduled_visit_id": visit.pk})
            ).status_code
            == 404
        )
    for name in ("reschedule", "cancel", "no_show"):
        assert (
            client.post(
                reverse(f"visits:{name}", kwargs={"scheduled_visit_id": visit.pk})
            ).status_code
            == 404
        )
    assert (
        client.get(
            reverse("visits:clinician_schedule", kwargs={"clinician_id": world.physician.uuid})
        ).status_code
        == 404
    )


def test_a_clinician_off_the_team_gets_404_for_the_visit(world, as_user):
    visit = book(world)
    client = as_user(world.social_worker)
    assert (
        client.get(reverse("visits:scheduled", kwargs={"scheduled_visit_id": visit.pk})).status_code
        == 404
    )


def test_pages_ask_the_signed_out_to_sign_in(world, client):
    visit = book(world)
    for url in (
        reverse("visits:book", kwargs={"patient_id": world.alice.pk}),
        reverse("visits:place_new", kwargs={"patient_id": world.alice.pk}),
        reverse("visits:scheduled", kwargs={"scheduled_visit_id": visit.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_add_a_home_through_the_page(world, as_user):
    client = as_user(world.navigator)
    response = client.post(
        reverse("visits:place_new", kwargs={"patient_id": world.alice.pk}),
        {
            "setting": "nursing_home",
            "name": "Maple Grove",
            "line": "1 Maple Road",
            "city": "Somerville",
            "latitude": "",
            "longitude": "",
            "access_notes": "Sign in at the front desk",
        },
    )
    assert response.status_code == 302
    assert Place.objects.get(patient=world.alice).setting == "nursing_home"


def test_the_administrator_sets_the_video_service_on_the_settings_page(world, as_user):
    from tests.support.personas import make_staff

    from pallio.programs.forms import ProgramSettingsForm

    admin = make_staff(world.riverside, "ada", "program_admin", "administration", "Ada", "Admin")
    client = as_user(admin)
    page = client.get(reverse("programs:settings"))
    assert "Video service address" in page.content.decode()
    form = ProgramSettingsForm(program=world.riverside, staff=[])
    data = {k: v for k, v in form.initial.items() if v is not None}
    data = {k: (v if not isinstance(v, bool) else ("on" if v else "")) for k, v in data.items()}
    data["video_url_template"] = "http://not-secure.example.org/{room}"
    response = client.post(reverse("programs:settings"), data)
    assert "must start with https://" in response.content.decode()


def test_a_colleagues_schedule_shows_unreachable_patients_as_busy_time_only(world, as_user):
    """A colleague's schedule opens for any clinician of the program (to find a free time),
    but names only the patients the reader may reach; tests/security/test_probe_replay.py
    relies on this for the one patient URL an off-team clinician may open."""
    book(world)
    url = reverse("visits:clinician_schedule", kwargs={"clinician_id": world.physician.uuid})
    day = at(world, 2, 0).date().isoformat()
    off_team = as_user(world.social_worker).get(url, {"date": day, "view": "week"})
    assert off_team.status_code == 200
    text = off_team.content.decode()
    assert "Busy: a patient not on your list" in text
    assert world.alice.family_name not in text
    on_team = as_user(world.navigator).get(url, {"date": day, "view": "week"}).content.decode()
    assert world.alice.full_name in on_team

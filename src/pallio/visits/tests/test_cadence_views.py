"""The cadence pages (requirement 3): set a cadence and enter or cancel an appointment
elsewhere from the patient's visits page, the list of visits overdue with its filters, and
the same-day suggestion's link opening the booking form filled in; bad input keeps what was
typed and says what to fix; who may reach each page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare
from pallio.visits.cadence_models import ExternalAppointment, VisitCadence
from pallio.visits.cadence_selectors import suggestions_of
from pallio.visits.models import ScheduledVisit
from pallio.visits.tests.cadence_helpers import NOW, cancer_center, infusion, set_cadence, since

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def page(user):
    return login(Client(), user)


def visits_url(world):
    return reverse("visits:patient", kwargs={"patient_id": world.alice.pk})


def test_the_patient_schedule_shows_cadence_appointments_and_the_suggestion(world):
    since(set_cadence(world, "weekly"), 9)
    infusion(world, days=2)
    body = page(world.navigator).get(visits_url(world)).content.decode()
    assert "Visit cadence" in body and "Palliative physician" in body and "Overdue" in body
    assert "Oncology infusion at Cancer Center Infusion Suite" in body
    assert "Book the same-day visit" in body
    assert "Set the visit cadence" in body and "Add an appointment elsewhere" in body


def test_setting_a_cadence_from_the_page(world):
    client = page(world.navigator)
    url = reverse("visits:cadence", kwargs={"patient_id": world.alice.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"discipline": "social_worker", "frequency": "every_2_weeks"})
    assert response.status_code == 302
    assert VisitCadence.objects.get().frequency == "every_2_weeks"
    bad = client.post(url, {"discipline": "", "frequency": "daily"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode() or "required" in bad.content.decode()
    assert AuditEvent.objects.filter(event="visit_cadence.form").exists()


def test_entering_and_cancelling_an_appointment_from_the_page(world):
    place = cancer_center(world)
    client = page(world.navigator)
    url = reverse("visits:appointment_new", kwargs={"patient_id": world.alice.pk})
    assert client.get(url).status_code == 200
    data = {
        "kind": "infusion",
        "place": str(place.pk),
        "starts_at": "2026-03-12T09:00",
        "ends_at": "2026-03-12T08:00",
        "description": "Cycle 3",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert "The appointment must end after it starts." in bad.content.decode()
    assert 'value="Cycle 3"' in bad.content.decode()
    data["ends_at"] = "2026-03-12T13:00"
    assert client.post(url, data).status_code == 302
    appointment = ExternalAppointment.objects.get()
    assert appointment.place == place and appointment.source == "staff"
    cancel = reverse("visits:appointment_cancel", kwargs={"patient_id": world.alice.pk})
    response = client.post(cancel, {"appointment": str(appointment.pk), "reason": "Deferred"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    nothing = client.post(cancel, {"appointment": str(appointment.pk), "reason": ""})
    assert nothing.status_code == 302
    assert (
        client.post(cancel, {"appointment": str(world.alice.pk), "reason": "x"}).status_code == 404
    )


def test_the_overdue_list_with_its_filters_and_the_suggestion(world):
    since(set_cadence(world, "weekly"), 9)
    infusion(world, days=2)
    client = page(world.navigator)
    url = reverse("visits:overdue")
    body = client.get(url).content.decode()
    assert "Alice Anders" in body and "Book the same-day visit" in body
    assert "1 patient with a visit overdue" in body
    assert "Alice" not in client.get(url, {"discipline": "chaplain"}).content.decode()
    assert "Alice" in client.get(url, {"mine": "1"}).content.decode()
    bad = client.get(url, {"discipline": "bogus"})
    assert bad.status_code == 400
    assert "Alice" not in page(world.hillside_nurse).get(url).content.decode()


def test_the_suggestion_opens_the_booking_form_filled_in_and_books(world):
    since(set_cadence(world, "weekly"), 9)
    infusion(world, days=2)
    (suggestion,) = suggestions_of(world.alice)
    client = page(world.navigator)
    form = client.get(suggestion.book_url)
    body = form.content.decode()
    assert form.status_code == 200
    assert 'value="2026-03-12T09:30"' in body and "Same day as the oncology infusion" in body
    assert f'<option value="{suggestion.appointment.place_id}" selected' in body
    data = {
        "clinician": str(world.physician.uuid),
        "setting": "cancer_center",
        "place": str(suggestion.appointment.place_id),
        "kind": "follow_up",
        "priority": "routine",
        "starts_at": "2026-03-12T09:30",
        "ends_at": "2026-03-12T10:15",
        "note": "Same day as the oncology infusion",
    }
    url = reverse("visits:book", kwargs={"patient_id": world.alice.pk})
    assert client.post(url, data).status_code == 302
    visit = ScheduledVisit.objects.get()
    assert visit.setting == "cancer_center" and visit.discipline == "physician"
    assert suggestions_of(world.alice) == []  # the booked visit moves the next due day


def test_a_prefill_with_a_null_character_is_ignored(world):
    url = reverse("visits:book", kwargs={"patient_id": world.alice.pk})
    response = page(world.navigator).get(url, {"note": "a\x00b", "room": "x"})
    assert response.status_code == 200 and "a\x00b" not in response.content.decode()


def test_pages_are_refused_to_those_who_may_not(world):
    urls = [
        reverse("visits:cadence", kwargs={"patient_id": world.alice.pk}),
        reverse("visits:appointment_new", kwargs={"patient_id": world.alice.pk}),
    ]
    for url in urls:
        assert page(world.social_worker).get(url).status_code == 404
        assert page(world.hillside_nurse).get(url).status_code == 404
        assert page(world.privacy).get(url).status_code in (403, 404)
    assert Client().get(reverse("visits:overdue")).status_code == 302

"""Visit cadences (requirement 3): the next visit due per discipline from the last booked or
completed visit, the overdue list (filters, access, a fixed number of queries), appointments
elsewhere and the same-day visit suggested beside one when a visit is due that week."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.support.personas import make_patient

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare
from pallio.visits.cadence_models import ExternalAppointment, VisitCadence
from pallio.visits.cadence_selectors import cadences_of, overdue_page_for, suggestions_of
from pallio.visits.services import cadence
from pallio.visits.tests.cadence_helpers import NOW, infusion, set_cadence, since, visit_on

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def status_of(world, discipline="physician"):
    return next(s for s in cadences_of(world.alice) if s.cadence.discipline == discipline)


# --- setting a cadence -------------------------------------------------------------------------


def test_a_cadence_is_set_once_per_discipline_and_changed_in_place(world):
    first = set_cadence(world, "weekly")
    again = set_cadence(world, "every_2_weeks")
    assert first.pk == again.pk and again.frequency == "every_2_weeks"
    assert VisitCadence.objects.filter(patient=world.alice).count() == 1
    assert again.since == TODAY and again.set_by == world.navigator
    events = AuditEvent.objects.filter(event="visit_cadence.set", patient_id=world.alice.pk)
    assert events.count() == 2


def test_a_bad_frequency_or_discipline_is_refused_in_words(world):
    with pytest.raises(ValidationError) as exc:
        set_cadence(world, "daily", discipline="volunteer")
    assert set(exc.value.message_dict) == {"frequency", "discipline"}


def test_no_cadence_without_an_active_episode(world):
    EpisodeOfCare.objects.filter(patient=world.alice).update(status="finished")
    with pytest.raises(ValidationError, match="no active episode"):
        set_cadence(world)


def test_only_those_the_matrix_allows_set_a_cadence_for_a_patient_they_reach(world):
    with pytest.raises(PermissionDenied):
        set_cadence(world, actor=world.privacy)
    with pytest.raises(PermissionDenied):
        set_cadence(world, actor=world.social_worker)  # not on alice's team
    with pytest.raises(PermissionDenied):
        set_cadence(world, actor=world.hillside_coordinator)


# --- when the next visit is due ----------------------------------------------------------------


def test_the_next_visit_is_due_one_interval_after_the_last_completed_visit(world):
    set_cadence(world, "weekly")
    visit_on(world, -10)
    status = status_of(world)
    assert status.due == TODAY - timedelta(days=3) and status.overdue


def test_a_booked_visit_moves_the_next_due_day(world):
    set_cadence(world, "weekly")
    visit_on(world, -10)
    visit_on(world, 2, status="booked")
    status = status_of(world)
    assert status.due == TODAY + timedelta(days=9) and not status.overdue


def test_cancelled_visits_and_other_disciplines_do_not_count(world):
    set_cadence(world, "weekly")
    since(VisitCadence.objects.get(), 9)
    visit_on(world, -1, status="cancelled")
    visit_on(world, -1, status="no_show")
    visit_on(world, -1, clinician=world.navigator)
    status = status_of(world)
    assert status.last is None
    assert status.due == TODAY - timedelta(days=2) and status.overdue


def test_without_a_visit_the_first_is_due_an_interval_after_the_cadence_was_set(world):
    monthly = since(set_cadence(world, "monthly"), 20)
    assert status_of(world).due == monthly.since + timedelta(days=30)
    assert not status_of(world).overdue


def test_as_needed_is_never_due(world):
    since(set_cadence(world, "as_needed"), 400)
    status = status_of(world)
    assert status.due is None and not status.overdue
    assert overdue_page_for(world.director).paginator.count == 0


# --- the overdue list --------------------------------------------------------------------------


def test_the_overdue_list_shows_the_patient_filtered_by_discipline_and_team(world):
    set_cadence(world, "weekly")
    set_cadence(world, "monthly", discipline="social_worker")
    visit_on(world, -8)
    page = overdue_page_for(world.navigator)
    assert [r.patient for r in page.object_list] == [world.alice]
    assert [s.cadence.discipline for s in page.object_list[0].statuses] == ["physician"]
    assert overdue_page_for(world.navigator, discipline="physician").paginator.count == 1
    assert overdue_page_for(world.navigator, discipline="social_worker").paginator.count == 0
    assert overdue_page_for(world.navigator, mine=True).paginator.count == 1
    # The medical director reaches every patient but is on no one's team.
    assert overdue_page_for(world.director).paginator.count == 1
    assert overdue_page_for(world.director, mine=True).paginator.count == 0
    assert AuditEvent.objects.filter(event="visit_cadence.overdue_list").exists()


def test_the_overdue_list_leaves_out_patients_the_user_does_not_reach(world):
    since(set_cadence(world, "weekly"), 30)
    assert overdue_page_for(world.social_worker).paginator.count == 0
    assert overdue_page_for(world.hillside_nurse).paginator.count == 0


def test_the_overdue_list_leaves_out_finished_episodes(world):
    since(set_cadence(world, "weekly"), 30)
    EpisodeOfCare.objects.filter(patient=world.alice).update(status="finished")
    assert overdue_page_for(world.navigator).paginator.count == 0


def test_the_overdue_list_costs_the_same_queries_for_one_patient_or_many(world):
    since(set_cadence(world, "weekly"), 30)
    infusion(world)
    overdue_page_for(world.navigator)  # warm caches (the program's settings)
    with CaptureQueriesContext(connection) as one:
        page = overdue_page_for(world.navigator)
    assert page.paginator.count == 1
    for n in range(6):
        patient = make_patient(
            world.riverside,
            f"Pat{n}",
            "Many",
            date(1950, 1, n + 1),
            team=(world.navigator, world.physician),
        )
        since(set_cadence(world, "weekly", patient=patient), 30 + n)
        set_cadence(world, "weekly", patient=patient, discipline="nurse_navigator")
        infusion(world, patient=patient)
    with CaptureQueriesContext(connection) as many:
        page = overdue_page_for(world.navigator)
    assert page.paginator.count == 7
    assert all(s.suggestion for r in page.object_list for s in r.statuses)
    assert len(many) == len(one) <= 10, [q["sql"][:90] for q in many.captured_queries]


# --- appointments elsewhere and the same-day suggestion ---------------------------------------


def test_an_appointment_elsewhere_is_recorded_and_audited(world):
    appointment = infusion(world)
    assert appointment.source == "staff" and appointment.site_name.startswith("Cancer Center")
    assert AuditEvent.objects.filter(
        event="external_appointment.create", patient_id=world.alice.pk
    ).exists()


def test_a_bad_appointment_is_refused_in_words(world):
    with pytest.raises(ValidationError) as exc:
        infusion(world, ends_at=NOW - timedelta(hours=1), starts_at=NOW, place=None, site="")
    messages = exc.value.message_dict
    assert messages["ends_at"] == ["The appointment must end after it starts."]
    assert messages["site"] == ["Choose the site, or name it."]
    assert not ExternalAppointment.objects.exists()


def test_a_same_day_visit_is_suggested_when_due_this_week_beside_an_appointment(world):
    set_cadence(world, "weekly")
    visit_on(world, -5)  # due in two days
    appointment = infusion(world, days=3)
    (suggestion,) = suggestions_of(world.alice)
    assert suggestion.appointment == appointment and suggestion.discipline == "physician"
    assert suggestion.clinician == world.physician
    assert suggestion.starts_at == appointment.starts_at + timedelta(minutes=30)
    assert f"place={appointment.place_id}" in suggestion.book_url
    assert "starts_at=2026-03-13T09%3A30" in suggestion.book_url
    assert f"clinician={world.physician.uuid}" in suggestion.book_url


def test_no_suggestion_without_an_appointment_or_when_not_due_that_week(world):
    set_cadence(world, "monthly")
    visit_on(world, -5)  # due in 25 days
    infusion(world, days=3)
    assert suggestions_of(world.alice) == []
    set_cadence(world, "weekly", discipline="nurse_navigator")
    since(VisitCadence.objects.get(discipline="nurse_navigator"), 9)
    assert [s.discipline for s in suggestions_of(world.alice)] == ["nurse_navigator"]
    ExternalAppointment.objects.all().delete()
    assert suggestions_of(world.alice) == []


def test_an_appointment_next_week_brings_no_suggestion(world):
    since(set_cadence(world, "weekly"), 9)
    infusion(world, days=8)
    assert suggestions_of(world.alice) == []


def test_a_cancelled_appointment_is_ignored(world):
    since(set_cadence(world, "weekly"), 9)
    appointment = infusion(world, days=2)
    assert suggestions_of(world.alice)
    cadence.appointment_cancel(actor=world.navigator, appointment=appointment, reason="Deferred")
    assert suggestions_of(world.alice) == []
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancel_reason == "Deferred"
    with pytest.raises(ValidationError, match="already cancelled"):
        cadence.appointment_cancel(actor=world.navigator, appointment=appointment, reason="x")


def test_imaging_at_a_named_site_suggests_a_visit_after_it_at_the_cancer_center(world):
    since(set_cadence(world, "weekly"), 9)
    scan = infusion(world, kind="imaging", site="Riverside Radiology")
    (suggestion,) = suggestions_of(world.alice)
    assert suggestion.starts_at == scan.ends_at
    assert "setting=clinic" in suggestion.book_url and "place=" not in suggestion.book_url

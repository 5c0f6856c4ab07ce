"""The hospital-stay pages: record from the chart, move, discharge, what was done, the team's
review list; access, audit, bad input and query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import make_patient

from pallio.acp import services as acp
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes import stays
from pallio.episodes.models import EpisodeOfCare, HospitalStay, StayReview

pytestmark = pytest.mark.django_db

# 10 March 2026, 11:00 in New York.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def _patient_url(world):
    return reverse("stays:patient", kwargs={"patient_id": world.alice.pk})


def _stay_url(stay, name="stays:stay"):
    return reverse(name, kwargs={"patient_id": stay.patient_id, "stay_id": stay.pk})


def _record(client, world, **fields):
    data = {
        "stay-kind": "inpatient",
        "stay-facility": "Riverside General",
        "stay-admitted_at": "2026-03-09T22:15",
        "stay-unit": "4 West",
        "stay-reason": "Breathless",
    }
    data.update({f"stay-{k}": v for k, v in fields.items()})
    return client.post(reverse("stays:new", kwargs={"patient_id": world.alice.pk}), data)


def test_the_navigator_records_a_stay_and_sees_it_on_the_chart(world, frozen, as_user):
    client = as_user(world.navigator)
    response = _record(client, world)
    stay = HospitalStay.objects.get()
    assert response.status_code == 302 and response["Location"] == _stay_url(stay)
    # 22:15 in New York (daylight time since 8 March) is 02:15 the next day in UTC.
    assert stay.admitted_at == datetime(2026, 3, 10, 2, 15, tzinfo=UTC)
    assert stay.recorded_by == world.navigator and stay.unit == "4 West"
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    body = chart.content.decode()
    assert "Inpatient admission: Riverside General" in body and "In hospital now" in body


def test_a_discharge_before_the_admission_is_refused_with_a_plain_message(world, frozen, as_user):
    response = _record(
        as_user(world.navigator),
        world,
        discharged_at="2026-03-08T10:00",
        disposition="home",
    )
    assert response.status_code == 400
    assert "The discharge is before the admission." in response.content.decode()
    assert not HospitalStay.objects.exists()


def test_an_admission_in_the_future_is_refused(world, frozen, as_user):
    response = _record(as_user(world.navigator), world, admitted_at="2026-03-12T10:00")
    assert response.status_code == 400
    assert "The admission cannot be in the future." in response.content.decode()
    assert not HospitalStay.objects.exists()


def test_a_readmission_is_flagged_on_the_chart_and_the_stays_page(world, frozen, as_user):
    first = stays.stay_record(
        actor=world.navigator,
        patient=world.alice,
        kind="inpatient",
        facility="Mercy",
        admitted_at=NOW - timedelta(days=20),
        discharged_at=NOW - timedelta(days=15),
        disposition="home",
    )
    client = as_user(world.navigator)
    _record(client, world)
    assert not HospitalStay.objects.get(pk=first.pk).is_readmission
    for url in (
        reverse("patients:chart", kwargs={"patient_id": world.alice.pk}),
        _patient_url(world),
    ):
        assert "Readmission within 30 days" in client.get(url).content.decode()


def test_a_move_to_intensive_care_and_a_discharge_from_the_stay_page(world, frozen, as_user):
    client = as_user(world.navigator)
    _record(client, world)
    stay = HospitalStay.objects.get()
    response = client.post(
        _stay_url(stay, "stays:transfer"),
        {"unit": "MICU", "icu": "on", "at": "2026-03-10T01:00", "version": stay.version},
    )
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.icu and stay.movements.count() == 2
    # A second tab still showing the first version: told, nothing changed.
    stale = client.post(
        _stay_url(stay, "stays:discharge"),
        {"discharged_at": "2026-03-10T09:00", "disposition": "home", "version": 1},
    )
    assert stale.status_code == 409
    assert HospitalStay.objects.get().is_open
    response = client.post(
        _stay_url(stay, "stays:discharge"),
        {"discharged_at": "2026-03-10T09:00", "disposition": "hospice", "version": stay.version},
    )
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.disposition == "hospice" and not stay.is_open
    page = client.get(_stay_url(stay)).content.decode()
    assert "MICU" in page and "Hospice" in page


def test_a_colleague_not_on_the_team_gets_404_and_the_refusal_is_audited(world, frozen, as_user):
    stay = stays.stay_admit(
        actor=world.navigator,
        patient=world.alice,
        kind="emergency",
        facility="Riverside General",
        admitted_at=NOW - timedelta(hours=1),
    )
    client = as_user(world.social_worker)
    assert client.get(_stay_url(stay)).status_code == 404
    assert client.get(_patient_url(world)).status_code == 404
    assert _record(client, world).status_code == 404
    assert HospitalStay.objects.count() == 1


def test_a_stay_of_another_patient_under_this_patients_address_is_404(world, frozen, as_user):
    stay = stays.stay_admit(
        actor=world.director,
        patient=world.bob,
        kind="emergency",
        facility="Riverside General",
        admitted_at=NOW - timedelta(hours=1),
    )
    url = reverse("stays:stay", kwargs={"patient_id": world.alice.pk, "stay_id": stay.pk})
    assert as_user(world.navigator).get(url).status_code == 404


def test_reading_the_stays_is_audited(world, frozen, as_user):
    client = as_user(world.navigator)
    client.get(_patient_url(world))
    assert AuditEvent.objects.filter(event="stay.list", patient_id=world.alice.pk).exists()


def _review_for(world, patient):
    stay = stays.stay_admit(
        actor=world.director,
        patient=patient,
        kind="inpatient",
        facility="Riverside General",
        admitted_at=NOW - timedelta(days=1),
    )
    return StayReview.objects.create(
        program=world.riverside,
        patient=patient,
        stay=stay,
        reason="intubation",
        wishes="Code status DNR/DNI (from 1 Feb 2026)",
        raised_at=NOW,
    )


def test_the_team_reviews_care_that_differed_from_the_wishes(world, frozen, as_user):
    review = _review_for(world, world.alice)
    client = as_user(world.physician)
    page = client.get(reverse("stays:reviews")).content.decode()
    assert "Intubated (breathing machine)" in page and "Not a finding of fault" in page
    empty = client.post(reverse("stays:review", kwargs={"review_id": review.pk}), {})
    assert empty.status_code == 400
    response = client.post(
        reverse("stays:review", kwargs={"review_id": review.pk}),
        {f"{review.pk}-note": "Family asked for it in the ED; goals conversation booked."},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.reviewed_by == world.physician
    reviewed = client.get(reverse("stays:reviews") + "?show=reviewed").content.decode()
    assert "Reviewed by" in reviewed and "goals conversation booked" in reviewed


def test_the_review_list_shows_only_the_users_patients(world, frozen, as_user):
    _review_for(world, world.bob)  # bob has no team: the navigator does not reach him
    page = as_user(world.navigator).get(reverse("stays:reviews")).content.decode()
    assert "Bob" not in page
    assert "Bob" in as_user(world.director).get(reverse("stays:reviews")).content.decode()


def test_an_unknown_list_is_refused_by_name(world, frozen, as_user):
    response = as_user(world.navigator).get(reverse("stays:reviews") + "?show=everything")
    assert response.status_code == 400


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_review_list_costs_the_same_queries_for_one_or_many(world, frozen, as_user):
    client = as_user(world.director)
    _review_for(world, world.alice)
    one = _count(client, reverse("stays:reviews"))
    for n in range(4):
        patient = make_patient(world.riverside, f"Pat{n}", "Many", world.alice.birth_date)
        _review_for(world, patient)
    assert _count(client, reverse("stays:reviews")) == one


def test_the_stays_page_costs_the_same_queries_for_one_or_many(world, frozen, as_user):
    client = as_user(world.navigator)
    acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr_dni",
        effective_date=NOW.date() - timedelta(days=40),
        expected_current_id=None,
    )

    def one_more(days):
        stay = stays.stay_admit(
            actor=world.navigator,
            patient=world.alice,
            kind="inpatient",
            facility="Riverside General",
            admitted_at=NOW - timedelta(days=days),
            unit="4 West",
        )
        stays.stay_transfer(
            actor=None, stay=stay, unit="MICU", icu=True, at=stay.admitted_at + timedelta(hours=5)
        )
        stays.stay_update(actor=world.navigator, stay=stay, intubated=True)
        stays.stay_discharge(
            actor=None,
            stay=stay,
            discharged_at=stay.admitted_at + timedelta(days=1),
            disposition="home",
        )

    one_more(30)
    one = _count(client, _patient_url(world))
    chart = _count(client, reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    for days in (20, 12, 6):
        one_more(days)
    assert _count(client, _patient_url(world)) == one
    assert _count(client, reverse("patients:chart", kwargs={"patient_id": world.alice.pk})) == chart


# --- correcting a stay ----------------------------------------------------------------------


def _discharged_stay(world):
    stay = stays.stay_admit(
        actor=world.navigator,
        patient=world.alice,
        kind="inpatient",
        facility="Rivresid General",
        unit="4 Wset",
        admitted_at=NOW - timedelta(days=3),
    )
    return stays.stay_discharge(
        actor=world.navigator, stay=stay, discharged_at=NOW - timedelta(days=1), disposition="home"
    )


def _correction(stay, **fields):
    data = {
        "version": stay.version,
        "kind": "inpatient",
        "facility": "Riverside General",
        "unit": "4 West",
        "admitted_at": "2026-03-07T08:30",
        "discharged_at": "2026-03-09T16:45",
        "reason": "Pneumonia",
    }
    data.update(fields)
    return {f"fix-{name}": value for name, value in data.items()}


def test_the_navigator_corrects_a_stay_from_its_page(world, frozen, as_user):
    stay = _discharged_stay(world)
    client = as_user(world.navigator)
    page = client.get(_stay_url(stay)).content.decode()
    assert "Correct the stay" in page and 'value="Rivresid General"' in page
    response = client.post(_stay_url(stay, "stays:correct"), _correction(stay))
    assert response.status_code == 302 and response["Location"] == _stay_url(stay)
    stay.refresh_from_db()
    assert (stay.facility, stay.unit, stay.reason) == ("Riverside General", "4 West", "Pneumonia")
    # 08:30 and 16:45 in New York (daylight time) are 12:30 and 20:45 in UTC.
    assert stay.admitted_at == datetime(2026, 3, 7, 13, 30, tzinfo=UTC)
    assert stay.discharged_at == datetime(2026, 3, 9, 20, 45, tzinfo=UTC)
    assert AuditEvent.objects.filter(
        event="stay.update", object_id=str(stay.pk), user_id=world.navigator.pk
    ).exists()


def test_a_correction_of_a_stay_still_going_on_has_no_discharge_time(world, frozen, as_user):
    stay = stays.stay_admit(
        actor=world.navigator,
        patient=world.alice,
        kind="inpatient",
        facility="Riverside General",
        admitted_at=NOW - timedelta(days=1),
    )
    client = as_user(world.navigator)
    data = _correction(stay, discharged_at="2026-03-09T16:45", admitted_at="2026-03-09T09:00")
    assert client.post(_stay_url(stay, "stays:correct"), data).status_code == 302
    stay.refresh_from_db()
    assert stay.is_open and stay.unit == "4 West"


def test_a_discharge_before_the_admission_is_refused_on_the_correction(world, frozen, as_user):
    stay = _discharged_stay(world)
    response = as_user(world.navigator).post(
        _stay_url(stay, "stays:correct"), _correction(stay, discharged_at="2026-03-06T10:00")
    )
    assert response.status_code == 400
    assert "The discharge is before the admission." in response.content.decode()
    stay.refresh_from_db()
    assert stay.facility == "Rivresid General" and stay.version == 2


def test_a_stale_correction_gets_a_conflict_and_changes_nothing(world, frozen, as_user):
    stay = _discharged_stay(world)
    response = as_user(world.navigator).post(
        _stay_url(stay, "stays:correct"), _correction(stay, version=1)
    )
    assert response.status_code == 409
    assert stays.STALE_MESSAGE.split(".")[0] in response.content.decode()
    stay.refresh_from_db()
    assert stay.facility == "Rivresid General"


def test_a_correction_for_a_patient_out_of_reach_is_404(world, frozen, as_user):
    stay = _discharged_stay(world)
    for user in (world.social_worker, world.hillside_nurse):
        response = as_user(user).post(_stay_url(stay, "stays:correct"), _correction(stay))
        assert response.status_code == 404
    stay.refresh_from_db()
    assert stay.facility == "Rivresid General"


def test_a_correction_without_the_privilege_is_403(world, frozen, as_user):
    stay = _discharged_stay(world)
    response = as_user(world.privacy).post(_stay_url(stay, "stays:correct"), _correction(stay))
    assert response.status_code == 403
    stay.refresh_from_db()
    assert stay.facility == "Rivresid General"

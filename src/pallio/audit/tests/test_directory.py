"""The privacy officer's directory: a patient's or a staff member's audit trail, found by
name or record number, in plain words; only the officer's program; the search on the record."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.security.helpers import body_of
from tests.support.personas import make_patient, make_staff

from pallio.audit.models import AuditEvent
from pallio.audit.services import audit_record

PATIENTS = reverse("audit:patients")
STAFF = reverse("audit:staff")


def patient_trail(patient) -> str:
    return reverse("audit:patient_trail", kwargs={"patient_id": patient.pk})


def staff_trail(user) -> str:
    return reverse("audit:staff_trail", kwargs={"staff_id": user.uuid})


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def officer(world, as_user):
    """The privacy officer, signed in (the sign-in is on the record before a test counts)."""
    client = as_user(world.privacy)
    assert client.get(reverse("audit:denials")).status_code == 200
    return client


# --- access ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_privacy_officer_reaches_the_directory(world, as_user):
    urls = [
        PATIENTS,
        f"{PATIENTS}?q=anders",
        patient_trail(world.alice),
        STAFF,
        f"{STAFF}?q=nina",
        staff_trail(world.navigator),
    ]
    for user in (
        world.coordinator,
        world.director,
        world.navigator,
        world.oncall,
        world.hillside_coordinator,
    ):
        client = as_user(user)
        since = last_id()
        for url in urls:
            assert client.get(url).status_code == 403, (user.username, url)
        assert not AuditEvent.objects.filter(id__gt=since, event__startswith="audit.").exists()
    client = as_user(world.privacy)
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(f"{PATIENTS}?q=anders")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_another_programs_patients_and_staff_stay_hidden(world, as_user):
    hillside_privacy = make_staff(
        world.hillside, "hank", "privacy_officer", "administration", "Hank", "Hush"
    )
    riverside = as_user(world.privacy)
    body = body_of(riverside.get(PATIENTS, {"q": "Hill"}))
    assert world.hana.mrn not in body and "Hana" not in body
    assert 'data-testid="no-match"' in body
    assert riverside.get(patient_trail(world.hana)).status_code == 404
    assert "hope" not in body_of(riverside.get(STAFF, {"q": "hope"})).split("match")[-1]
    assert riverside.get(staff_trail(world.hillside_nurse)).status_code == 404

    hillside = as_user(hillside_privacy)
    body = body_of(hillside.get(PATIENTS, {"q": "Anders"}))
    assert "Alice" not in body and 'data-testid="patient-match"' not in body
    assert hillside.get(patient_trail(world.alice)).status_code == 404
    assert hillside.get(staff_trail(world.navigator)).status_code == 404
    body = body_of(hillside.get(PATIENTS, {"q": "Hana"}))
    assert body.count('data-testid="patient-match"') == 1


@pytest.mark.django_db
def test_a_patient_trail_lists_only_the_officers_programs_events(world, as_user):
    # A Hillside user refused Alice's chart: Hillside's event, not Riverside's to read.
    audit_record(
        actor=world.hillside_nurse,
        action="read",
        event="access.denied",
        outcome="denied",
        patient_id=world.alice.pk,
    )
    audit_record(actor=world.navigator, action="read", event="patient.chart", patient=world.alice)
    body = body_of(as_user(world.privacy).get(patient_trail(world.alice)))
    assert "Nina Navigator" in body
    assert "hope" not in body and "Hope Hill" not in body


# --- searching ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q", ["anders", "ANDERS", "nder", "Alice Anders", "anders alice", "ali", "  alice  "]
)
def test_patients_are_found_by_part_of_their_names_in_any_case(world, as_user, q):
    body = body_of(as_user(world.privacy).get(PATIENTS, {"q": q}))
    assert body.count('data-testid="patient-match"') == 1
    assert "Anders, Alice" in body
    assert world.alice.mrn in body
    assert "12 Apr 1950" in body
    assert patient_trail(world.alice) in body


@pytest.mark.django_db
def test_a_patient_is_found_by_their_whole_record_number(world, as_user):
    client = as_user(world.privacy)
    body = body_of(client.get(PATIENTS, {"q": world.bob.mrn.lower()}))
    assert body.count('data-testid="patient-match"') == 1
    assert "Brown, Bob" in body


@pytest.mark.django_db
def test_several_matches_are_listed_to_pick_from(world, as_user):
    make_patient(world.riverside, "Anna", "Anderson", date(1944, 2, 2))
    body = body_of(as_user(world.privacy).get(PATIENTS, {"q": "ander"}))
    assert body.count('data-testid="patient-match"') == 2
    assert "2 patients match" in body
    assert body.index("Anders, Alice") < body.index("Anderson, Anna")


@pytest.mark.django_db
def test_staff_are_found_by_name_or_username(world, as_user):
    client = as_user(world.privacy)
    for q in ("nina", "Navigator", "nina navigator", "NAV"):
        body = body_of(client.get(STAFF, {"q": q}))
        assert body.count('data-testid="staff-match"') == 1, q
        assert "Nina Navigator" in body
        assert "Clinician (care team)" in body and "clinician<" not in body
        assert staff_trail(world.navigator) in body


@pytest.mark.django_db
def test_former_staff_are_found_and_marked(world, as_user):
    world.social_worker.is_active = False
    world.social_worker.save()
    body = body_of(as_user(world.privacy).get(STAFF, {"q": "sam"}))
    assert "Sam Social" in body and "No longer active" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, q, message",
    [
        (PATIENTS, "", "Type at least 2 characters: part of a name, or a whole record number."),
        (PATIENTS, " ", "Type at least 2 characters"),
        (PATIENTS, "a", "Type at least 2 characters"),
        (PATIENTS, "a" * 101, "Use at most 100 characters."),
        (PATIENTS, "an\x00ders", "This value contains a null character"),
        (STAFF, "", "Type at least 2 characters: part of a name, or a username."),
        (STAFF, "n", "Type at least 2 characters"),
    ],
)
def test_bad_searches_get_a_clear_message_and_record_nothing(world, officer, url, q, message):
    client = officer
    since = last_id()
    response = client.get(url, {"q": q})
    assert response.status_code == 400
    body = body_of(response)
    assert message in body
    assert 'name="q"' in body, "the form stays on the page to correct the search"
    assert "-match" not in body.split("</form>")[-1]
    assert not AuditEvent.objects.filter(id__gt=since).exists()


@pytest.mark.django_db
def test_an_unknown_record_number_says_no_patient_matches(world, as_user):
    client = as_user(world.privacy)
    response = client.get(PATIENTS, {"q": "MRN-DOES-NOT-EXIST"})
    assert response.status_code == 200
    body = body_of(response)
    assert "No patient matches" in body
    assert 'data-testid="no-match"' in body


@pytest.mark.django_db
def test_opening_the_page_searches_nothing_and_records_nothing(world, officer):
    since = last_id()
    body = body_of(officer.get(PATIENTS))
    assert "Name or record number" in body and "match" not in body.split("</form>")[-1]
    assert not AuditEvent.objects.filter(id__gt=since).exists()


@pytest.mark.django_db
def test_a_bad_page_number_is_refused(world, as_user):
    client = as_user(world.privacy)
    assert client.get(PATIENTS, {"q": "anders", "page": "0"}).status_code == 400
    assert client.get(patient_trail(world.alice), {"page": "x"}).status_code == 400


# --- the searches are on the record ---------------------------------------------------------


@pytest.mark.django_db
def test_the_patient_search_is_audited_with_what_was_typed(world, officer):
    since = last_id()
    officer.get(PATIENTS, {"q": "Anders"})
    event = AuditEvent.objects.get(id__gt=since)
    assert event.event == "audit.patient_search"
    assert event.user_id == world.privacy.pk
    assert event.program_id == world.riverside.pk
    assert event.detail["query"] == "Anders"
    assert event.detail["found"] == 1


@pytest.mark.django_db
def test_a_search_that_finds_no_one_is_audited_too(world, officer):
    since = last_id()
    officer.get(PATIENTS, {"q": "zz-999"})
    event = AuditEvent.objects.get(id__gt=since)
    assert event.detail == {"query": "zz-999", "found": 0, "page": 1}


@pytest.mark.django_db
def test_opening_a_patients_trail_is_audited_against_that_patient(world, officer):
    since = last_id()
    officer.get(patient_trail(world.alice))
    event = AuditEvent.objects.get(id__gt=since)
    assert event.event == "audit.patient_trail"
    assert event.patient_id == world.alice.pk
    assert event.user_id == world.privacy.pk


@pytest.mark.django_db
def test_the_staff_search_and_trail_are_audited(world, officer):
    client = officer
    since = last_id()
    client.get(STAFF, {"q": "nina"})
    client.get(staff_trail(world.navigator))
    search, trail = AuditEvent.objects.filter(id__gt=since).order_by("id")
    assert search.event == "audit.staff_search" and search.detail["query"] == "nina"
    assert trail.event == "audit.staff_trail" and trail.detail["user"] == "nina"
    assert trail.object_id == str(world.navigator.pk)


@pytest.mark.django_db
def test_the_officers_own_searches_show_on_their_trail_in_plain_words(world, as_user):
    client = as_user(world.privacy)
    client.get(PATIENTS, {"q": "Anders"})
    body = body_of(client.get(staff_trail(world.privacy)))
    assert "Searched the audit trail for a patient: “Anders”" in body
    assert "audit.patient_search" not in body


# --- plain words ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_patients_trail_names_people_and_says_what_they_did(world, as_user):
    audit_record(actor=world.navigator, action="read", event="patient.chart", patient=world.alice)
    audit_record(
        actor=world.social_worker,
        action="read",
        event="access.denied",
        outcome="denied",
        patient_id=world.alice.pk,
    )
    audit_record(actor=world.physician, action="read", event="patient.chart", patient=world.bob)
    body = body_of(as_user(world.privacy).get(patient_trail(world.alice)))
    assert "Nina Navigator" in body and "Sam Social" in body
    assert "Phil Physician" not in body, "Bob's events are not Alice's"
    assert "Opened the chart" in body and "Was refused a page" in body
    assert "Clinician (care team)" in body and "Privacy officer" in body
    assert "Read a patient&#x27;s audit trail" in body
    for code in ("patient.chart", "access.denied", ">clinician<", "privacy_officer"):
        assert code not in body, code


@pytest.mark.django_db
def test_a_staff_trail_names_the_patients(world, as_user):
    audit_record(actor=world.navigator, action="read", event="patient.chart", patient=world.alice)
    audit_record(
        actor=world.navigator, action="update", event="care_plan.goal.add", patient=world.alice
    )
    body = body_of(as_user(world.privacy).get(staff_trail(world.navigator)))
    assert body.count('data-testid="trail-row"') == 2
    assert "Alice Anders" in body and world.alice.mrn in body
    assert patient_trail(world.alice) in body
    assert "Added a goal to the care plan" in body
    assert "Clinician (care team)" in body and "Nurse navigator" in body


@pytest.mark.django_db
def test_the_full_log_shows_names_and_plain_words(world, as_user):
    audit_record(actor=world.navigator, action="read", event="patient.chart", patient=world.alice)
    body = body_of(as_user(world.privacy).get(reverse("audit:log")))
    assert "Nina Navigator" in body and "Alice Anders" in body
    assert "Opened the chart" in body and "Clinician (care team)" in body
    assert "patient.chart" not in body


# --- bounded queries ------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_pages_cost_the_same_queries_whatever_their_length(world, as_user):
    client = as_user(world.privacy)
    audit_record(actor=world.navigator, action="read", event="patient.chart", patient=world.alice)
    urls = [
        patient_trail(world.alice),
        staff_trail(world.navigator),
        reverse("audit:log"),
        f"{PATIENTS}?q=an",
        f"{STAFF}?q=an",
    ]
    few = [_queries(client, url) for url in urls]
    for n in range(30):
        who = make_staff(world.riverside, f"ann{n}", "clinician", "nurse", f"Ann{n}", "Anton")
        patient = make_patient(world.riverside, f"Ana{n}", f"Anson{n}", date(1940, 1, 1 + n % 28))
        audit_record(actor=who, action="read", event="patient.chart", patient=world.alice)
        audit_record(actor=world.navigator, action="read", event="patient.chart", patient=patient)
    many = [_queries(client, url) for url in urls]
    assert few == many, dict(zip(urls, zip(few, many, strict=True), strict=True))

"""Calls on the 24/7 line: taking, triage, callback, disposition, death reported; access,
audit and bad input (nothing saved)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.assessments.models import SymptomReport
from pallio.assessments.services import report_evaluate
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.patients.selectors import patient_search_for
from pallio.support import selectors, services
from pallio.support.models import Call, DeathReport, TriageProtocol
from pallio.support.tests.helpers import a_call, call_input

pytestmark = pytest.mark.django_db


def pain_triage(**overrides: Any) -> services.TriageInput:
    values: dict[str, Any] = {
        "protocol_key": "pain",
        "answers": {"where": "Back", "prn-helped": "no"},
        "red_flags": ["new-back-pain-weakness"],
        "esas": {"pain": 9},
    }
    values.update(overrides)
    return services.TriageInput(**values)


# --- taking a call ------------------------------------------------------------------------------


def test_a_call_is_recorded_with_its_number_in_e164_and_audited(world):
    call = a_call(world.oncall, world.alice)
    assert call.callback_number == "+16175550199"
    assert call.status == Call.Status.OPEN and call.taken_by == world.oncall
    assert AuditEvent.objects.filter(event="call.record", object_id=str(call.pk)).exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"callback_number": ""}, "callback_number"),
        ({"callback_number": "not a number"}, "callback_number"),
        ({"received_at": None}, "received_at"),
        ({"reason": "gossip"}, "reason"),
    ],
)
def test_bad_call_input_is_refused_and_nothing_saved(world, overrides, field):
    with pytest.raises(ValidationError) as caught:
        services.call_record(actor=world.oncall, data=call_input(world.alice, **overrides))
    assert field in caught.value.message_dict
    assert not Call.objects.exists()


def test_a_call_time_in_the_future_is_refused(world):
    later = clock.now() + timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        services.call_record(actor=world.oncall, data=call_input(world.alice, received_at=later))
    assert "future" in caught.value.message_dict["received_at"][0]


def test_an_unknown_or_foreign_patient_is_refused_plainly(world):
    for patient_id in ("6a0b2c1e-0000-4000-8000-000000000000", world.hana.pk):
        with pytest.raises(ValidationError) as caught:
            services.call_record(actor=world.oncall, data=call_input(None, patient_id=patient_id))
        assert "No patient of this program matches" in caught.value.message_dict["patient"][0]
    assert not Call.objects.exists()


def test_a_social_worker_may_not_take_a_call(world):
    with pytest.raises(PrivilegeDenied):
        a_call(world.social_worker, world.alice)


def test_patient_found_in_a_few_keystrokes_by_name_birth_date_or_phone(world):
    for text in ("al", "1950", "04/12/1950", "1950-04-12", "0111", "617 555-0111"):
        found = list(patient_search_for(world.oncall, text))
        assert world.alice in found, text
        assert world.hana not in found


# --- triage ---------------------------------------------------------------------------------


def test_a_red_flag_marks_the_call_and_the_scores_become_a_symptom_report(world):
    call = a_call(world.oncall, world.alice)
    services.call_triage_record(
        actor=world.oncall, call=call, expected_version=call.version, data=pain_triage()
    )
    call.refresh_from_db()
    assert call.red_flag and call.triage["recommends"] == ["emergency"]
    report = call.symptom_report
    assert report.channel == "call" and report.respondent == "caregiver"
    assert report.answers["pain"] == 9 and report.patient == world.alice
    alerts = report_evaluate(report_id=report.pk)
    assert alerts, "a severe pain score raises the alert rules' alert"


def test_triage_with_a_stale_version_is_a_conflict(world):
    from pallio.core.models import ConflictError

    call = a_call(world.oncall, world.alice)
    with pytest.raises(ConflictError):
        services.call_triage_record(
            actor=world.oncall, call=call, expected_version=call.version + 5, data=pain_triage()
        )
    assert not SymptomReport.objects.exists()


def test_triage_refuses_a_red_flag_or_score_the_protocol_does_not_have(world):
    call = a_call(world.oncall, world.alice)
    for data in (pain_triage(red_flags=["made-up"]), pain_triage(esas={"nausea": 3})):
        with pytest.raises(ValidationError):
            services.call_triage_record(
                actor=world.oncall, call=call, expected_version=call.version, data=data
            )
    call.refresh_from_db()
    assert not call.red_flag and not SymptomReport.objects.exists()


# --- callback and disposition --------------------------------------------------------------


def test_callback_and_disposition_record_their_times(world):
    call = a_call(world.oncall, world.alice)
    services.call_callback_record(
        actor=world.oncall, call=call, expected_version=call.version, called_back_at=None
    )
    services.call_dispose(
        actor=world.oncall,
        call=call,
        expected_version=call.version,
        disposition="nurse_visit",
        disposition_at=None,
        note="Visit arranged for 11 pm.",
    )
    call.refresh_from_db()
    assert call.status == Call.Status.CLOSED
    assert call.time_to_callback >= timedelta(minutes=10)
    assert call.time_to_disposition >= call.time_to_callback


def test_a_disposition_before_the_call_came_in_is_refused(world):
    call = a_call(world.oncall, world.alice)
    with pytest.raises(ValidationError) as caught:
        services.call_dispose(
            actor=world.oncall,
            call=call,
            expected_version=call.version,
            disposition="advice",
            disposition_at=call.received_at - timedelta(hours=1),
        )
    assert "before the call came in" in caught.value.message_dict["disposition_at"][0]
    call.refresh_from_db()
    assert call.status == Call.Status.OPEN and not call.disposition


def test_only_the_dispositions_the_protocol_allows(world):
    call = a_call(world.oncall, world.alice, reason="death")
    services.call_triage_record(
        actor=world.oncall,
        call=call,
        expected_version=call.version,
        data=services.TriageInput(protocol_key="expected-death"),
    )
    with pytest.raises(ValidationError):
        services.call_dispose(
            actor=world.oncall,
            call=call,
            expected_version=call.version,
            disposition="emergency",
            disposition_at=None,
        )


def test_a_physician_on_the_team_may_dispose_a_social_worker_may_not(world):
    call = a_call(world.oncall, world.alice)
    with pytest.raises(PrivilegeDenied):
        services.call_dispose(
            actor=world.social_worker,
            call=call,
            expected_version=call.version,
            disposition="advice",
            disposition_at=None,
        )
    services.call_dispose(
        actor=world.physician,
        call=call,
        expected_version=call.version,
        disposition="advice",
        disposition_at=None,
    )


def test_a_call_of_another_program_is_refused(world):
    call = a_call(world.oncall, world.alice)
    with pytest.raises(PermissionDenied):
        services.call_callback_record(
            actor=world.hillside_nurse, call=call, expected_version=1, called_back_at=None
        )


# --- a death reported by phone -------------------------------------------------------------


def test_an_expected_death_is_recorded_and_the_team_told(world):
    call = a_call(world.oncall, world.alice, reason="death", story="She died peacefully.")
    died = clock.now() - timedelta(minutes=40)
    report = services.death_report_record(
        actor=world.oncall,
        call=call,
        data=services.DeathInput(
            died_at=died,
            place="home",
            present="Her daughter",
            needs=["pronouncement", "funeral_home"],
            funeral_home="Oak Funeral Home",
        ),
    )
    world.alice.refresh_from_db()
    assert world.alice.deceased_at == died
    assert report.patient == world.alice
    tasks = Task.objects.filter(patient=world.alice, kind="follow_up")
    assert tasks.filter(assigned_to=world.navigator, title__startswith="Death reported").exists()
    # The death record follows: one per patient, the enrollment discharged with it.
    record = world.alice.death_record
    assert (record.source, record.place, record.died_at) == ("phone", "home", died)
    assert world.alice.episodes.get().discharge_reason == "death"
    assert AuditEvent.objects.filter(event="death.record").exists()


def test_a_death_after_the_call_is_refused(world):
    call = a_call(world.oncall, world.alice, reason="death")
    with pytest.raises(ValidationError):
        services.death_report_record(
            actor=world.oncall,
            call=call,
            data=services.DeathInput(died_at=clock.now() + timedelta(minutes=1), place="home"),
        )
    assert not DeathReport.objects.exists()
    world.alice.refresh_from_db()
    assert world.alice.deceased_at is None


# --- reads: access, audit, query counts ---------------------------------------------------------


def test_call_reads_are_access_checked_and_audited(world):
    from django.http import Http404

    call = a_call(world.oncall, world.alice)
    assert selectors.call_get_for(world.navigator, call.pk) == call
    assert AuditEvent.objects.filter(event="call.read", object_id=str(call.pk)).exists()
    for outsider in (world.social_worker, world.hillside_nurse, world.privacy):
        with pytest.raises(Http404):
            selectors.call_get_for(outsider, call.pk)


def test_on_call_screen_lists_red_flags_and_hides_what_the_user_may_not_see(world):
    flagged = a_call(world.oncall, world.alice)
    services.call_triage_record(
        actor=world.oncall, call=flagged, expected_version=1, data=pain_triage(esas={})
    )
    a_call(world.oncall, world.bob)
    screen = selectors.on_call_screen_for(world.oncall)
    assert screen["red_flag_count"] == 1 and len(screen["open_calls"]) == 2
    assert selectors.on_call_screen_for(world.social_worker)["open_calls"] == []
    assert AuditEvent.objects.filter(event="call.list").exists()


def test_chart_facts_cost_a_fixed_number_of_queries(world):
    from pallio.acp.tests.factories import full_plan
    from pallio.medications import services as medications

    full_plan(world)
    for _ in range(5):
        medications.medication_add(
            actor=world.physician,
            patient=world.alice,
            data=medications.MedicationInput(catalog_key="morphine", dose_amount="5"),
        )
    from pallio.medications.allergies import allergy_record

    for substance in ("Penicillin", "Latex"):
        allergy_record(actor=world.physician, patient=world.alice, substance=substance)
    with CaptureQueriesContext(connection) as empty:
        selectors.call_chart_facts(world.bob)
    with CaptureQueriesContext(connection) as queries:
        facts = selectors.call_chart_facts(world.alice)
    assert len(queries) == len(empty) == 9
    assert facts["code_status"] is not None and len(facts["medications"]) == 5
    assert [a.substance for a in facts["allergies"].allergies] == ["Latex", "Penicillin"]


# --- pages ----------------------------------------------------------------------------------


def test_take_a_call_through_the_pages(world, as_user):
    client = as_user(world.oncall)
    page = client.get(reverse("support:call_new"), {"q": "ali"})
    assert page.status_code == 200 and "Alice Anders" in page.content.decode()
    page = client.get(reverse("support:call_new"), {"patient": str(world.alice.pk)})
    assert "Key facts" in page.content.decode()
    assert "Not recorded: ask the caller" in page.content.decode()
    received = clock.now().astimezone(ZoneInfo(world.riverside.timezone))
    response = client.post(
        reverse("support:call_new"),
        {
            "patient": str(world.alice.pk),
            "caller_kind": "caregiver",
            "callback_number": "617-555-0199",
            "received_at": (received - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "symptom",
            "story": "Pain.",
        },
    )
    assert response.status_code == 302
    call = Call.objects.get()
    page = client.get(reverse("support:call", kwargs={"call_id": call.pk}), {"protocol": "pain"})
    assert "Red flags" in page.content.decode()
    response = client.post(
        reverse("support:call_triage", kwargs={"call_id": call.pk}),
        {
            "protocol": "pain",
            "version": call.version,
            "red_flags": ["chest-pain"],
            "esas_pain": "8",
            "respondent": "caregiver",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("support:call", kwargs={"call_id": call.pk}))
    assert 'id="red-flag"' in page.content.decode()
    screen = client.get(reverse("support:on_call")).content.decode()
    assert "Red flag" in screen


def test_a_call_without_a_callback_number_gets_a_clear_message(world, as_user):
    client = as_user(world.oncall)
    response = client.post(
        reverse("support:call_new"),
        {
            "patient": str(world.alice.pk),
            "caller_kind": "caregiver",
            "callback_number": "",
            "received_at": "2020-01-01T10:00",
            "reason": "symptom",
        },
    )
    assert response.status_code == 400
    assert "Give a number to call back" in response.content.decode()
    assert not Call.objects.exists()


def test_a_call_of_another_program_is_404_on_its_page(world, as_user):
    call = a_call(world.oncall, world.alice)
    client = as_user(world.hillside_nurse)
    assert client.get(reverse("support:call", kwargs={"call_id": call.pk})).status_code == 404


def test_the_medical_director_edits_a_protocol_and_a_bad_file_changes_nothing(world, as_user):
    import json

    from pallio.support import protocols

    client = as_user(world.director)
    url = reverse("support:protocol_edit", kwargs={"key": "pain"})
    assert client.get(url).status_code == 200
    response = client.post(url, {"content": '{"key": "pain"}'})
    assert response.status_code == 400 and "questions" in response.content.decode()
    assert not TriageProtocol.objects.exists()
    data: Any = protocols.shipped_json("pain")
    data["title"] = "Pain (Riverside)"
    assert client.post(url, {"content": json.dumps(data)}).status_code == 302
    mine: Any = protocols.get(world.riverside, "pain")
    assert mine.title == "Pain (Riverside)"
    assert as_user(world.oncall).get(url).status_code == 403


def test_the_on_call_screen_costs_the_same_queries_for_one_call_or_twenty(world, as_user):
    client = as_user(world.oncall)
    a_call(world.oncall, world.alice)
    client.get(reverse("support:on_call"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("support:on_call"))
    for _ in range(19):
        a_call(world.oncall, world.bob)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(reverse("support:on_call"))
    assert page.content.decode().count("Bob Brown") == 19
    assert len(twenty) == len(one)


def test_on_call_staff_land_on_the_line(world, as_user):
    response = as_user(world.oncall).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("support:on_call")


def test_every_write_on_a_call_is_audited(world):
    call = a_call(world.oncall, world.alice)
    services.call_triage_record(
        actor=world.oncall, call=call, expected_version=1, data=pain_triage()
    )
    services.call_callback_record(
        actor=world.oncall, call=call, expected_version=call.version, called_back_at=None
    )
    services.call_dispose(
        actor=world.oncall,
        call=call,
        expected_version=call.version,
        disposition="emergency",
        disposition_at=None,
    )
    events = set(AuditEvent.objects.filter(object_id=str(call.pk)).values_list("event", flat=True))
    assert {"call.record", "call.triage", "call.callback", "call.dispose"} <= events
    assert AuditEvent.objects.filter(event="symptom_report.create").exists()

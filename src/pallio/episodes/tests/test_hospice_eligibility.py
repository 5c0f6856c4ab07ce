"""The hospice eligibility aid: each Medicare criterion met, missing or unknown from the
record, with the record and day it was read from; it never certifies; it costs a fixed
number of queries whatever the size of the record."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core.codes import ICD10CM
from pallio.core.words import day_text
from pallio.episodes.hospice import MET, MISSING, UNKNOWN, hospice_eligibility
from pallio.episodes.stays import stay_record
from pallio.episodes.tests.hospice_samples import PAP_C, PPI_7_5, report, today
from pallio.patients.services import condition_add

pytestmark = pytest.mark.django_db


def hospitalization_record(
    *, actor: Any, patient: Any, admitted_on: Any, facility: str, discharged_on: Any = None
) -> Any:
    """A hospital admission at noon on the day given (program's time zone), through the stays
    service."""
    zone = ZoneInfo(patient.program.timezone)
    return stay_record(
        actor=actor,
        patient=patient,
        kind="inpatient",
        facility=facility,
        admitted_at=datetime.combine(admitted_on, time(12), tzinfo=zone),
        discharged_at=(
            datetime.combine(discharged_on, time(12), tzinfo=zone) if discharged_on else None
        ),
        disposition="home" if discharged_on else "",
    )


def criteria_of(world: Any, patient: Any = None) -> dict[str, Any]:
    found = hospice_eligibility(patient or world.alice, today=today(world))
    return {c.text: c for _, group in found.groups for c in group}


def groups_of(world: Any, patient: Any = None) -> list[str]:
    return [
        title for title, _ in hospice_eligibility(patient or world.alice, today=today(world)).groups
    ]


def test_an_empty_record_leaves_the_function_criteria_unknown(hworld):
    found = criteria_of(hworld)
    assert found["KPS or PPS below 70%"].status == UNKNOWN
    assert found["KPS or PPS below 70%"].finding == "No PPS or KPS recorded."
    assert found["Weight loss over 10% in 6 months"].status == UNKNOWN
    assert found["Dependence in 2 or more activities of daily living"].status == UNKNOWN


def test_a_falling_pps_below_70_is_met_with_its_report_and_day(hworld):
    report(hworld, hworld.alice, "pps", {"pps": "60"}, days_ago=20)
    report(hworld, hworld.alice, "pps", {"pps": "40"})
    found = criteria_of(hworld)
    below = found["KPS or PPS below 70%"]
    assert (below.status, below.finding, below.source) == (MET, "PPS 40%", "PPS report")
    assert below.when == today(hworld)
    falling = found["KPS or PPS falling"]
    earlier = (today(hworld) - timedelta(days=20)).isoformat()
    assert falling.status == MET and falling.finding == f"PPS 40%, was 60% on {earlier}"


def test_a_steady_pps_of_80_is_missing_not_unknown(hworld):
    report(hworld, hworld.alice, "pps", {"pps": "80"}, days_ago=10)
    report(hworld, hworld.alice, "pps", {"pps": "80"})
    found = criteria_of(hworld)
    assert found["KPS or PPS below 70%"].status == MISSING
    assert found["KPS or PPS falling"].status == MISSING


def test_a_karnofsky_newer_than_the_pps_is_the_one_read(hworld):
    report(hworld, hworld.alice, "pps", {"pps": "80"}, days_ago=10)
    report(hworld, hworld.alice, "karnofsky", {"kps": "50"})
    found = criteria_of(hworld)
    assert found["KPS or PPS below 70%"].finding == "Karnofsky (KPS) 50%"
    assert found["KPS or PPS falling"].status == UNKNOWN


def test_admissions_and_emergency_visits_count_from_the_one_reader(hworld):
    text = "2 or more hospital admissions or emergency visits in 6 months"
    assert criteria_of(hworld)[text].status == MISSING
    hospitalization_record(
        actor=hworld.physician,
        patient=hworld.alice,
        admitted_on=today(hworld) - timedelta(days=40),
        discharged_on=today(hworld) - timedelta(days=35),
        facility="General Hospital",
    )
    hospitalization_record(
        actor=hworld.physician,
        patient=hworld.alice,
        admitted_on=today(hworld) - timedelta(days=300),
        facility="Old Hospital",
    )
    found = criteria_of(hworld)[text]
    assert found.status == MISSING and found.finding == "1 recorded"
    hospitalization_record(
        actor=hworld.physician,
        patient=hworld.alice,
        admitted_on=today(hworld) - timedelta(days=5),
        facility="Bayside Medical Center",
    )
    found = criteria_of(hworld)[text]
    assert found.status == MET and found.finding == "2 recorded"
    assert found.source == "Hospital stay at Bayside Medical Center (latest)"


def test_the_admission_threshold_is_a_program_setting(hworld):
    program = hworld.riverside
    program.settings = {**program.settings, "hospice_admissions_at_least": 1}
    program.save(update_fields=["settings"])
    hworld.alice.program.refresh_from_db()
    hospitalization_record(
        actor=hworld.physician,
        patient=hworld.alice,
        admitted_on=today(hworld) - timedelta(days=5),
        facility="Bayside Medical Center",
    )
    assert (
        criteria_of(hworld)["1 or more hospital admissions or emergency visits in 6 months"].status
        == MET
    )


def test_metastatic_cancer_is_met_from_the_diagnosis(hworld):
    # Alice's lung cancer is recorded as advanced.
    assert "Cancer" in groups_of(hworld)
    metastatic = criteria_of(hworld)[
        "Metastatic at presentation, or progressed to metastatic disease"
    ]
    assert metastatic.status == MET and "C34.90" in metastatic.source


def test_heart_failure_reads_the_nyha_class(hworld):
    condition_add(
        actor=None, patient=hworld.alice, system=ICD10CM, code="I50.9", display="Heart failure"
    )
    assert criteria_of(hworld)["NYHA class IV"].status == UNKNOWN
    report(hworld, hworld.alice, "nyha", {"nyha": "III"}, days_ago=7)
    assert criteria_of(hworld)["NYHA class IV"].status == MISSING
    report(hworld, hworld.alice, "nyha", {"nyha": "IV"})
    nyha = criteria_of(hworld)["NYHA class IV"]
    assert (nyha.status, nyha.finding) == (MET, "NYHA class IV")
    assert criteria_of(hworld)["Ejection fraction 20% or less (supporting)"].status == UNKNOWN


def test_dementia_reads_the_fast_stage(hworld):
    condition_add(
        actor=None, patient=hworld.alice, system=ICD10CM, code="G30.9", display="Alzheimer's"
    )
    report(hworld, hworld.alice, "fast", {"fast": "7b"})
    fast = criteria_of(hworld)["FAST stage 7 or beyond"]
    assert (fast.status, fast.finding) == (MET, "FAST stage 7b")


def test_no_disease_group_without_its_diagnosis(hworld):
    assert "Heart disease" not in groups_of(hworld)
    assert "Dementia" not in groups_of(hworld)


def test_prognosis_flags_follow_the_team_meetings_rule(hworld):
    report(hworld, hworld.alice, "ppi", PPI_7_5)
    report(hworld, hworld.alice, "pap", PAP_C)
    flags = hospice_eligibility(hworld.alice, today=today(hworld)).prognosis_flags
    day = day_text(today(hworld))
    assert flags == [f"PPI 7.5 on {day} (above 6)", f"PaP group C (score 17.5) on {day}"]


def test_the_eligibility_costs_the_same_queries_for_a_big_record(hworld):
    report(hworld, hworld.alice, "pps", {"pps": "60"})
    with CaptureQueriesContext(connection) as small:
        hospice_eligibility(hworld.alice, today=today(hworld))
    for n in range(12):
        report(hworld, hworld.alice, "pps", {"pps": "50"}, days_ago=n + 1)
        report(hworld, hworld.alice, "fast", {"fast": "6a"}, days_ago=n + 1)
        hospitalization_record(
            actor=hworld.physician,
            patient=hworld.alice,
            admitted_on=today(hworld) - timedelta(days=n + 1),
            facility=f"Hospital {n}",
        )
    with CaptureQueriesContext(connection) as big:
        hospice_eligibility(hworld.alice, today=today(hworld))
    assert len(big) == len(small) == 4


# --- the page -------------------------------------------------------------------------------


def test_the_page_says_it_never_certifies_and_links_to_goals_of_care(hworld, as_user):
    client = as_user(hworld.navigator)
    page = client.get(reverse("hospice:patient", kwargs={"patient_id": hworld.alice.pk}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "This aid does not certify eligibility for hospice." in body
    assert reverse("acp:patient", kwargs={"patient_id": hworld.alice.pk}) in body
    assert "Metastatic at presentation" in body
    event = AuditEvent.objects.filter(event="hospice.view").get()
    assert event.patient_id == hworld.alice.pk and event.user_id == hworld.navigator.pk


def test_staff_off_the_team_and_other_programs_get_404(hworld, as_user):
    url = reverse("hospice:patient", kwargs={"patient_id": hworld.alice.pk})
    assert as_user(hworld.social_worker).get(url).status_code == 404
    assert as_user(hworld.hillside_nurse).get(url).status_code == 404
    assert not AuditEvent.objects.filter(event="hospice.view").exists()

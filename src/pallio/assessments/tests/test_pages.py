"""The assessment pages as their users see them: trends, phase of care, the comprehensive
assessment, and the medication list with its opioid awareness."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from tests.support.personas import make_patient

from pallio.assessments.models import Addendum, Alert, Assessment, PhaseOfCare, SymptomReport
from pallio.assessments.services import (
    ReportInput,
    domains_for,
    phase_record,
    report_evaluate,
    report_submit,
)
from pallio.assessments.tests.helpers import ESAS_ITEMS, esas
from pallio.core import clock
from pallio.medications.models import MedicationStatement
from pallio.medications.services import bowel_regimen_check


def test_trends_page_draws_esas_and_function_from_the_data(world, as_user):
    now = clock.now()
    for week, pain in enumerate([2, 5, 8]):
        report_submit(
            actor=world.navigator,
            patient=world.alice,
            data=ReportInput(
                "esas-r", esas(pain=pain), "patient", "visit", now - timedelta(weeks=3 - week)
            ),
        )
    report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput("pps", {"pps": "50"}, "clinician", "visit"),
    )
    response = as_user(world.navigator).get(
        reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    )
    assert response.status_code == 200
    esas_data = response.context["chart_data"]["esas"]
    pain = next(s for s in esas_data["series"] if s["key"] == "pain")
    assert pain["values"] == [2, 5, 8]
    assert [b["label"] for b in esas_data["bands"]] == ["None", "Mild", "Moderate", "Severe"]
    assert response.context["chart_data"]["function"]["series"][0]["points"][0]["y"] == 50
    body = response.content.decode()
    assert 'id="trend-data"' in body and "vendor/chartjs/chart.umd.js" in body


def test_staff_form_refuses_out_of_range_scores_with_the_reason_and_saves_nothing(world, as_user):
    url = reverse("assessments:report", kwargs={"patient_id": world.alice.pk})
    data = {f"item_{k}": 0 for k in ESAS_ITEMS} | {
        "item_pain": 12,
        "respondent": "patient",
        "channel": "visit",
        "phase": "stable",
    }
    response = as_user(world.navigator).post(url, data)
    assert response.status_code == 400
    assert "must be between 0 and 10" in response.content.decode()
    assert SymptomReport.objects.count() == 0
    data["item_pain"] = 7
    assert as_user(world.navigator).post(url, data).status_code == 302
    assert SymptomReport.objects.get().respondent == "patient"


def test_pages_answer_404_to_staff_who_cannot_reach_the_patient(world, as_user):
    for name in (
        "assessments:trends",
        "assessments:report",
        "assessments:assessment",
        "medications:list",
    ):
        url = reverse(name, kwargs={"patient_id": world.alice.pk})
        assert as_user(world.navigator).get(url).status_code == 200, name
        assert as_user(world.social_worker).get(url).status_code == 404, name
        assert as_user(world.hillside_nurse).get(url).status_code == 404, name


def test_unstable_phase_older_than_3_days_stands_out(world, as_user):
    start = clock.now() - timedelta(days=4)
    phase_record(
        actor=world.navigator,
        patient=world.alice,
        phase="unstable",
        contact="call",
        recorded_at=start,
    )
    phase_record(
        actor=world.navigator,
        patient=world.alice,
        phase="unstable",
        contact="visit",
        recorded_at=start + timedelta(days=2),
    )
    url = reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    response = as_user(world.navigator).get(url)
    assert 'data-testid="unstable-flag"' in response.content.decode()
    assert "Unstable for 4 days" in response.content.decode()
    phase_record(actor=world.navigator, patient=world.alice, phase="stable", contact="visit")
    assert 'data-testid="unstable-flag"' not in as_user(world.navigator).get(url).content.decode()
    assert PhaseOfCare.objects.filter(patient=world.alice).count() == 3


def test_phase_form_records_the_phase_at_a_contact(world, as_user):
    url = reverse("assessments:phase", kwargs={"patient_id": world.alice.pk})
    as_user(world.navigator).post(url, {"phase": "deteriorating", "contact": "call"})
    as_user(world.navigator).post(url, {"phase": "dying", "contact": "call"})
    assert list(PhaseOfCare.objects.values_list("phase", flat=True)) == ["deteriorating"]


def _selected_phase(client, patient) -> list[str]:
    url = reverse("assessments:trends", kwargs={"patient_id": patient.pk})
    body = client.get(url).content.decode()
    select = re.search(r'<select name="phase".*?</select>', body, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(0))


def test_phase_selector_starts_at_the_recorded_phase(world, as_user):
    client = as_user(world.navigator)
    # Nothing recorded yet: no phase is chosen for the clinician.
    assert _selected_phase(client, world.alice) == []
    phase_record(actor=world.navigator, patient=world.alice, phase="terminal", contact="visit")
    assert _selected_phase(client, world.alice) == ["terminal"]
    phase_record(actor=world.navigator, patient=world.alice, phase="deteriorating", contact="call")
    assert _selected_phase(client, world.alice) == ["deteriorating"]


def test_assessment_sections_follow_age(world):
    today = date(2025, 6, 1)
    child = make_patient(world.riverside, "Cleo", "Child", date(2017, 1, 1))
    young = make_patient(world.riverside, "Yan", "Young", date(2004, 1, 1))
    assert "pediatric" in domains_for(child, today) and "young_adult" not in domains_for(
        child, today
    )
    assert "young_adult" in domains_for(young, today)
    assert not {"pediatric", "young_adult"} & set(domains_for(world.alice, today))


def _section(client, patient, domain, **fields):
    url = reverse("assessments:assessment_section", kwargs={"patient_id": patient.pk})
    data = {
        f"{domain}-domain": domain,
        f"{domain}-version": fields.pop("version", 0),
        f"{domain}-narrative": fields.pop("narrative", "Seen at home."),
        f"{domain}-completed": "on",
        "domain": domain,
    }
    data.update({f"{domain}-f_{k}": v for k, v in fields.items()})
    return client.post(url, data)


def test_draft_then_signed_then_only_addenda(world, as_user):
    phil = as_user(world.physician)
    base = reverse("assessments:assessment", kwargs={"patient_id": world.alice.pk})
    phil.post(reverse("assessments:assessment_start", kwargs={"patient_id": world.alice.pk}))
    assessment = Assessment.objects.get(patient=world.alice)
    sign = reverse("assessments:assessment_sign", kwargs={"patient_id": world.alice.pk})
    phil.post(sign, {"version": assessment.version})
    assessment.refresh_from_db()
    assert assessment.status == "draft"  # incomplete: refused
    for domain in domains_for(world.alice, clock.today_in(world.alice.program.timezone)):
        response = _section(phil, world.alice, domain)
        assert response.status_code == 302, (domain, response.content[:300])
    phil.post(sign, {"version": assessment.version})
    assessment.refresh_from_db()
    assert assessment.status == "signed" and assessment.signed_by == world.physician
    response = _section(phil, world.alice, "physical", narrative="Changed after signing")
    assert "Changed after signing" not in str(assessment.sections.get(domain="physical").narrative)
    phil.post(
        reverse("assessments:assessment_addendum", kwargs={"patient_id": world.alice.pk}),
        {"reason": "Late information", "text": "Pain worse at night.", "domain": "physical"},
    )
    assert Addendum.objects.get().author == world.physician
    body = phil.get(base).content.decode()
    assert "Pain worse at night." in body and "Seen at home." in body


def test_a_discipline_writes_only_the_domains_it_owns(world, as_user):
    nina = as_user(world.navigator)
    nina.post(reverse("assessments:assessment_start", kwargs={"patient_id": world.alice.pk}))
    refused = _section(nina, world.alice, "spiritual")
    assert refused.status_code == 403
    assert "A nurse navigator may not write and complete the spiritual" in refused.text
    assert _section(nina, world.alice, "physical").status_code == 302


def test_total_daily_mme_and_the_bowel_regimen_alert(world, as_user):
    url = reverse("medications:list", kwargs={"patient_id": world.alice.pk})
    nina = as_user(world.navigator)
    nina.post(
        url,
        {"catalog_key": "oxycodone", "dose_amount": "10", "doses_per_day": "4", "route": "oral"},
    )
    nina.post(url, {"catalog_key": "fentanyl-transdermal", "dose_amount": "25"})
    body = nina.get(url).content.decode()
    assert "Scheduled opioids: <strong>120 MME a day</strong>" in body  # 10*4*1.5 + 25*2.4
    assert 'data-testid="no-bowel-regimen"' in body
    bowel_regimen_check(patient=world.alice)
    bowel_regimen_check(patient=world.alice)
    [alert] = Alert.objects.filter(rule_key="opioid-no-bowel-regimen")
    assert alert.discipline == "nurse_navigator"
    nina.post(url, {"catalog_key": "senna", "dose_amount": "17.2", "doses_per_day": "1"})
    assert 'data-testid="no-bowel-regimen"' not in nina.get(url).content.decode()
    assert "propose" in body  # the page says Pallio never proposes a dose


def test_bad_medication_input_is_refused_and_nothing_is_written(world, as_user):
    url = reverse("medications:list", kwargs={"patient_id": world.alice.pk})
    nina = as_user(world.navigator)
    for data in (
        {"catalog_key": "unobtainium"},
        {"catalog_key": "morphine", "dose_amount": "-5"},
        {"catalog_key": ""},
        {"catalog_key": "morphine", "doses_per_day": "1e9"},
    ):
        assert nina.post(url, data).status_code == 400
    assert MedicationStatement.objects.count() == 0


def test_report_evaluation_of_a_missing_report_does_nothing(world):
    assert report_evaluate(report_id="00000000-0000-0000-0000-000000000000") == []


pytestmark = pytest.mark.django_db


def test_a_staff_contact_records_the_phase_of_care_with_the_report(world, as_user):
    from pallio.assessments.models import PhaseOfCare

    url = reverse("assessments:report", kwargs={"patient_id": world.alice.pk})
    data = {f"item_{k}": 1 for k in ESAS_ITEMS} | {"respondent": "patient", "channel": "call"}
    response = as_user(world.navigator).post(url, data)
    assert response.status_code == 400
    assert "Phase of care at this contact" in response.content.decode()
    assert SymptomReport.objects.count() == 0 and PhaseOfCare.objects.count() == 0
    assert as_user(world.navigator).post(url, data | {"phase": "deteriorating"}).status_code == 302
    phase = PhaseOfCare.objects.get(patient=world.alice)
    assert (phase.phase, phase.contact) == ("deteriorating", "call")
    assert phase.recorded_at == SymptomReport.objects.get().answered_at


def test_age_bands_are_program_settings_at_their_boundaries(world):
    today = date(2025, 6, 1)
    fourteen = make_patient(world.riverside, "Fay", "Fourteen", date(2010, 6, 2))
    fifteen = make_patient(world.riverside, "Fin", "Fifteen", date(2010, 6, 1))
    forty = make_patient(world.riverside, "Flo", "Forty", date(1985, 6, 1))
    assert "pediatric" in domains_for(fourteen, today)
    assert "young_adult" in domains_for(fifteen, today)
    assert not {"pediatric", "young_adult"} & set(domains_for(forty, today))
    world.riverside.settings = {"child_max_age": 17, "young_adult_ages": [18, 25]}
    world.riverside.save()
    fifteen.refresh_from_db()
    assert "pediatric" in domains_for(fifteen, today)

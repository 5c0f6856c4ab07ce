"""0-10 items are answered by tapping a number on a scale, not by typing one."""

from __future__ import annotations

import re

from django.urls import reverse

from pallio.assessments.models import SymptomReport
from pallio.assessments.tests.helpers import ESAS_ITEMS


def _form(client, patient, instrument: str = "esas-r") -> str:
    url = reverse("assessments:report", kwargs={"patient_id": patient.pk})
    response = client.get(url, {"instrument": instrument})
    assert response.status_code == 200
    return response.content.decode()


def test_each_esas_item_is_a_group_of_eleven_radios_with_its_anchors_and_none_chosen(
    world, as_user
):
    body = _form(as_user(world.navigator), world.alice)
    for item in ESAS_ITEMS:
        radios = re.findall(rf'<input type="radio" name="item_{item}" value="(\d+)"[^>]*>', body)
        assert radios == [str(v) for v in range(11)], item
    # Nothing is chosen for the clinician: an untouched item stays unanswered.
    assert not re.search(r'name="item_\w+"[^>]*checked', body)
    assert 'type="number"' not in body
    assert re.search(r'<legend class="form-label fs-6 mb-1">Pain\b', body)
    assert "0 = No pain" in body and "10 = Worst possible pain" in body
    assert "0 = Best wellbeing" in body and "10 = Worst possible wellbeing" in body
    assert 'aria-describedby="id_item_pain_anchors"' in body


def test_scale_answers_save_and_a_blank_item_stays_unanswered(world, as_user):
    url = reverse("assessments:report", kwargs={"patient_id": world.alice.pk})
    data = {f"item_{k}": "3" for k in ESAS_ITEMS if k != "nausea"} | {
        "item_pain": "8",
        "respondent": "patient",
        "channel": "visit",
        "phase": "stable",
    }
    assert as_user(world.navigator).post(url, data).status_code == 302
    report = SymptomReport.objects.get()
    assert report.answers["pain"] == 8
    assert "nausea" not in report.answers


def test_a_refused_report_shows_the_scale_again_with_the_answers_kept(world, as_user):
    url = reverse("assessments:report", kwargs={"patient_id": world.alice.pk})
    data = {f"item_{k}": "2" for k in ESAS_ITEMS} | {
        "item_pain": "6",
        "respondent": "patient",
        "channel": "visit",
        "phase": "",  # missing: the form refuses
    }
    response = as_user(world.navigator).post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r'name="item_pain" value="6"[^>]*checked', body)
    assert SymptomReport.objects.count() == 0


def test_a_wider_or_fractional_range_keeps_its_number_field(world, as_user):
    # PAP's white cell count is a decimal: typed, not tapped.
    body = _form(as_user(world.physician), world.alice, "pap")
    assert 'name="item_wbc"' in body
    assert not re.search(r'type="radio" name="item_wbc"', body)

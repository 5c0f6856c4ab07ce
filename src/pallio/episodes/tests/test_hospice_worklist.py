"""The "consider a hospice conversation" worklist: the team meeting's hospice rule and the
program's thresholds, only patients the user may reach, not those already referred, at a
fixed number of queries whatever its length."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.support.personas import make_patient

from pallio.audit.models import AuditEvent
from pallio.core.words import day_text
from pallio.episodes.hospice import hospice_worklist_for
from pallio.episodes.tests.hospice_samples import PAP_C, PPI_3_5, PPI_7_5, refer, report, today

pytestmark = pytest.mark.django_db


def names(world, user):
    return [row.patient.family_name for row in hospice_worklist_for(user, 1)]


def test_a_patient_past_a_threshold_is_listed_with_the_reason(hworld):
    report(hworld, hworld.alice, "pps", {"pps": "50"}, days_ago=14)
    report(hworld, hworld.alice, "pps", {"pps": "30"})
    rows = list(hospice_worklist_for(hworld.navigator, 1))
    assert [r.patient for r in rows] == [hworld.alice]
    assert rows[0].reasons == [
        f"PPS 30% on {day_text(today(hworld))}, down from 50% (40% or less and falling)"
    ]
    assert rows[0].pps_falling


def test_a_low_pps_that_is_not_falling_is_not_listed(hworld):
    report(hworld, hworld.alice, "pps", {"pps": "30"})
    assert names(hworld, hworld.navigator) == []
    report(hworld, hworld.alice, "pps", {"pps": "30"}, days_ago=14)
    assert names(hworld, hworld.navigator) == []
    report(hworld, hworld.alice, "pps", {"pps": "40"}, days_ago=7)
    assert names(hworld, hworld.navigator) == ["Anders"]


def test_scores_below_the_thresholds_are_not_listed(hworld):
    report(hworld, hworld.alice, "ppi", PPI_3_5)
    report(hworld, hworld.alice, "pps", {"pps": "60"})
    assert names(hworld, hworld.navigator) == []


def test_pap_group_c_is_listed_and_the_group_is_a_setting(hworld):
    report(hworld, hworld.alice, "pap", PAP_C)
    assert names(hworld, hworld.navigator) == ["Anders"]
    program = hworld.riverside
    program.settings = {**program.settings, "idt_hospice_pap_group": "D"}
    program.save(update_fields=["settings"])
    hworld.navigator.program.refresh_from_db()
    assert names(hworld, hworld.navigator) == []


def test_a_referred_patient_leaves_the_list(hworld):
    report(hworld, hworld.alice, "ppi", PPI_7_5)
    refer(hworld)
    assert names(hworld, hworld.navigator) == []


def test_only_patients_the_user_may_reach(hworld):
    report(hworld, hworld.alice, "ppi", PPI_7_5)
    assert names(hworld, hworld.social_worker) == []
    assert names(hworld, hworld.director) == ["Anders"]
    assert names(hworld, hworld.hillside_coordinator) == []


def test_the_worklist_costs_the_same_queries_for_a_long_list(hworld, as_user):
    report(hworld, hworld.alice, "ppi", PPI_7_5)
    client = as_user(hworld.director)
    url = reverse("hospice:worklist")
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        assert client.get(url).status_code == 200
    for n in range(6):
        patient = make_patient(
            hworld.riverside,
            f"Pat{n}",
            f"Person{n}",
            date(1950, 1, n + 1),
            team=(hworld.navigator,),
        )
        report(hworld, patient, "fast", {"fast": "7a"})
    with CaptureQueriesContext(connection) as long:
        page = client.get(url)
    assert page.content.decode().count('data-testid="hospice-candidate"') == 7
    assert len(long) == len(short)
    assert AuditEvent.objects.filter(event="hospice.worklist").count() == 3


def test_the_worklist_page_links_to_the_patients_aid(hworld, as_user):
    report(hworld, hworld.alice, "fast", {"fast": "7c"})
    body = as_user(hworld.navigator).get(reverse("hospice:worklist")).content.decode()
    assert reverse("hospice:patient", kwargs={"patient_id": hworld.alice.pk}) in body
    assert "FAST stage 7c" in body

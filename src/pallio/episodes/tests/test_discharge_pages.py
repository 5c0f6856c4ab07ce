"""The discharge and enroll-again pages: access, audit, bad input, and the chart's links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare

pytestmark = pytest.mark.django_db


def _url(name: str, patient) -> str:
    return reverse(f"enrollment:{name}", kwargs={"patient_id": patient.pk})


def _today(world):
    return clock.today_in(world.riverside.timezone)


def _chart(patient) -> str:
    return reverse("patients:chart", kwargs={"patient_id": patient.pk})


def test_the_chart_offers_discharge_to_the_team_and_the_page_is_audited(world, as_user):
    client = as_user(world.navigator)
    chart = client.get(_chart(world.alice)).content.decode()
    assert _url("discharge", world.alice) in chart
    response = client.get(_url("discharge", world.alice))
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "Goals met, stable" in body and "Died" not in body.split("<select")[1].split("</select")[0]
    )
    assert AuditEvent.objects.filter(
        event="enrollment.read", patient_id=world.alice.pk, username="nina"
    ).exists()


def test_discharge_through_the_page_then_enroll_again_from_the_chart(world, as_user):
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=10))
    client = as_user(world.navigator)
    response = client.post(
        _url("discharge", world.alice),
        {"reason": "moved_away", "on": _today(world).isoformat(), "note": "Moved to Ohio"},
    )
    # Off the team now: back to her caseload, not to a chart she can no longer open.
    assert response.status_code == 302 and response["Location"] == reverse("episodes:caseload")
    episode = world.alice.episodes.get()
    assert (episode.status, episode.discharge_reason) == ("finished", "moved_away")
    # The navigator is off the team now; the intake coordinator enrolls her again.
    assert client.get(_chart(world.alice)).status_code == 404
    cora = as_user(world.coordinator)
    chart = cora.get(_chart(world.alice)).content.decode()
    assert "discharged, moved away (Moved to Ohio)" in chart
    assert _url("reenroll", world.alice) in chart
    page = cora.get(_url("reenroll", world.alice)).content.decode()
    assert "Nina Navigator" in page
    response = cora.post(
        _url("reenroll", world.alice),
        {
            "team": [str(world.navigator.uuid), str(world.physician.uuid)],
            "lead": str(world.navigator.uuid),
            "first_visit_due": (_today(world) + timedelta(days=3)).isoformat(),
            "note": "Back from Ohio",
        },
    )
    assert response.status_code == 302
    assert world.alice.episodes.count() == 2
    assert world.alice.episodes.filter(status="active").exists()
    assert client.get(_chart(world.alice)).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "on": "2026-01-01"}, "This field is required"),
        ({"reason": "death", "on": "TODAY"}, "Select a valid choice"),
        ({"reason": "other", "on": "TODAY", "note": ""}, "This field is required"),
        ({"reason": "goals_met", "on": "TOMORROW"}, "cannot be in the future"),
        ({"reason": "goals_met", "on": "LONG_AGO"}, "before the enrollment began"),
        ({"reason": "goals_met", "on": "2026-02-30"}, "Enter a valid date"),
    ],
)
def test_bad_discharge_on_the_page_is_a_400_with_the_reason(world, as_user, data, message):
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=10))
    days = {"TODAY": 0, "TOMORROW": 1, "LONG_AGO": -40}
    if data["on"] in days:
        data = {**data, "on": (_today(world) + timedelta(days=days[data["on"]])).isoformat()}
    response = as_user(world.navigator).post(_url("discharge", world.alice), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert world.alice.episodes.get().status == "active"


def test_a_social_worker_on_the_team_is_refused_the_discharge(world, as_user):
    from pallio.episodes.services import care_team_add

    care_team_add(actor=None, episode=world.alice.episodes.get(), user=world.social_worker)
    client = as_user(world.social_worker)
    page = client.get(_url("discharge", world.alice)).content.decode()
    assert "does not allow" in page and "discharge-form" not in page
    response = client.post(
        _url("discharge", world.alice), {"reason": "goals_met", "on": _today(world).isoformat()}
    )
    assert response.status_code == 403 and " may not " in response.content.decode()
    assert world.alice.episodes.get().status == "active"


def test_the_pages_of_another_programs_patient_are_404(world, as_user):
    client = as_user(world.hillside_nurse)
    for name in ("discharge", "death", "reenroll"):
        assert client.get(_url(name, world.alice)).status_code == 404
        assert client.post(_url(name, world.alice), {}).status_code in (403, 404)
    assert world.alice.episodes.get().status == "active"


def test_enroll_again_is_refused_for_an_enrolled_patient(world, as_user):
    cora = as_user(world.coordinator)
    assert "is enrolled" in cora.get(_url("reenroll", world.alice)).content.decode()
    response = cora.post(
        _url("reenroll", world.alice),
        {
            "team": [str(world.physician.uuid)],
            "lead": str(world.physician.uuid),
            "first_visit_due": _today(world).isoformat(),
        },
    )
    assert response.status_code == 400 and "already enrolled" in response.content.decode()
    assert world.alice.episodes.count() == 1

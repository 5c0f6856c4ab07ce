"""The care-team page of a chart: who sees it, who may change the team, the refusals in plain
words (400, nothing written), and the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.episodes.models import CareTeamLeadChange, CareTeamMember

pytestmark = pytest.mark.django_db


def _url(name: str, patient, **kwargs) -> str:
    return reverse(f"enrollment:{name}", kwargs={"patient_id": patient.pk, **kwargs})


def _member(world, user):
    return CareTeamMember.objects.get(patient=world.alice, user=user, active=True)


def _rows(world):
    return sorted(
        (str(m.user_id), m.active, m.is_lead)
        for m in CareTeamMember.objects.filter(patient=world.alice)
    )


def test_the_chart_links_to_the_care_team_page_which_is_audited(world, as_user):
    client = as_user(world.navigator)
    chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    assert _url("care_team", world.alice) in chart.content.decode()
    assert "Change the team, see its history" in chart.content.decode()
    page = client.get(_url("care_team", world.alice))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nina Navigator" in body and "Add to the team" in body
    assert "Sam Social" in body  # a candidate to add
    assert "Nina Navigator became the lead" in body
    assert AuditEvent.objects.filter(
        event="enrollment.read", patient_id=world.alice.pk, username="nina"
    ).exists()


def test_a_member_without_the_privilege_sees_the_team_but_no_actions(world, as_user):
    from tests.support.personas import add_to_team

    chaplain = add_to_team(world, "carl", "chaplain", "Carl", "Chaplain")
    body = as_user(chaplain).get(_url("care_team", world.alice)).content.decode()
    assert "Nina Navigator" in body
    assert "Add to the team" not in body and "Your role does not allow changing" in body
    response = as_user(chaplain).post(
        _url("care_team_add", world.alice), {"user": str(world.social_worker.uuid)}
    )
    assert response.status_code == 403
    assert "may not change the care team" in response.content.decode()
    assert not CareTeamMember.objects.filter(user=world.social_worker).exists()


def test_someone_not_on_the_team_gets_404_and_nothing_changes(world, as_user):
    client = as_user(world.social_worker)
    assert client.get(_url("care_team", world.alice)).status_code == 404
    before = _rows(world)
    response = as_user(world.hillside_coordinator).post(
        _url("care_team_add", world.alice), {"user": str(world.hillside_nurse.uuid)}
    )
    assert response.status_code in (403, 404)
    assert _rows(world) == before


def test_adding_a_member_opens_the_chart_to_them(world, as_user):
    client = as_user(world.navigator)
    response = client.post(
        _url("care_team_add", world.alice), {"user": str(world.social_worker.uuid)}
    )
    assert response.status_code == 302 and response.url == _url("care_team", world.alice)
    assert _member(world, world.social_worker).added_by == world.navigator
    assert "Sam Social joined the care team." in client.get(response.url).content.decode()
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    assert as_user(world.social_worker).get(chart).status_code == 200


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("physician", "Phil Physician is already on the care team."),
        ("privacy", "Priya Privacy cannot join a care team: a privacy officer does not care"),
        ("hillside_nurse", "Choose care team members from this program."),
        ("nobody", "Choose who joins the team."),
    ],
)
def test_a_refused_addition_says_why_and_changes_nothing(world, as_user, who, message):
    before = _rows(world)
    user = "not-an-id" if who == "nobody" else str(getattr(world, who).uuid)
    response = as_user(world.navigator).post(_url("care_team_add", world.alice), {"user": user})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was changed." in body
    assert message.replace("'", "&#x27;") in body
    assert f'value="{world.social_worker.uuid}"' in body  # the list is offered again
    assert _rows(world) == before


def test_the_lead_changes_and_the_change_is_shown(world, as_user):
    client = as_user(world.coordinator)
    physician = _member(world, world.physician)
    response = client.post(_url("care_team_lead", world.alice), {"member": str(physician.pk)})
    assert response.status_code == 302
    physician.refresh_from_db()
    assert physician.is_lead
    body = client.get(_url("care_team", world.alice)).content.decode()
    assert "Lead changed from Nina Navigator to Phil Physician" in body
    assert CareTeamLeadChange.objects.filter(changed_by=world.coordinator).count() == 1


def test_the_lead_cannot_be_ended_without_a_new_lead(world, as_user):
    lead = _member(world, world.navigator)
    before = _rows(world)
    response = as_user(world.coordinator).post(
        _url("care_team_end", world.alice, member_id=lead.pk), {"new_lead": ""}
    )
    assert response.status_code == 400
    assert "name the new lead before ending their membership" in response.content.decode()
    assert _rows(world) == before


def test_ending_the_lead_with_a_successor(world, as_user):
    lead = _member(world, world.navigator)
    physician = _member(world, world.physician)
    response = as_user(world.coordinator).post(
        _url("care_team_end", world.alice, member_id=lead.pk), {"new_lead": str(physician.pk)}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    physician.refresh_from_db()
    assert not lead.active and physician.is_lead
    assert AuditEvent.objects.filter(event="careteam.end", username="cora").exists()


def test_ending_ones_own_membership_leads_back_to_the_caseload(world, as_user):
    response = as_user(world.physician).post(
        _url("care_team_end", world.alice, member_id=_member(world, world.physician).pk), {}
    )
    assert response.status_code == 302 and response.url == reverse("episodes:caseload")
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    assert as_user(world.physician).get(chart).status_code == 404


def test_a_membership_of_another_patient_is_refused(world, as_user):
    hana_member = CareTeamMember.objects.get(patient=world.hana)
    before = _rows(world)
    response = as_user(world.coordinator).post(
        _url("care_team_end", world.alice, member_id=hana_member.pk), {}
    )
    assert response.status_code == 400
    assert "Choose a current member of this care team." in response.content.decode()
    assert _rows(world) == before
    assert CareTeamMember.objects.get(pk=hana_member.pk).active

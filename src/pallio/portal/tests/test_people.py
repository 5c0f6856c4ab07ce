"""Who can see the patient's care, decided from the portal: scopes per caregiver, removal at
once, the healthcare agent deciding when the patient cannot, the team's suspension, and the
adolescent's confidential space. Every change is audited with the portal account as actor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Value, When
from django.test import Client
from django.urls import reverse
from tests.support.personas import login, make_patient

from pallio.acp.models import HealthcareAgent
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.portal import team
from pallio.portal.confidential import is_adolescent, may_see, visible_items
from pallio.portal.models import PortalAccess, PortalScope
from pallio.portal.people import can_manage_people, caregiver_scopes_set
from pallio.portal.tests.factories import caregiver_account, patient_account
from pallio.portal.tests.helpers import family_member

pytestmark = pytest.mark.django_db


def people_of(patient) -> str:
    return reverse("portal:people", args=[patient.pk])


def scopes_url(patient, access) -> str:
    return reverse("portal:caregiver_scopes", args=[patient.pk, access.pk])


def remove_url(patient, access) -> str:
    return reverse("portal:caregiver_remove", args=[patient.pk, access.pk])


def home_of(patient) -> str:
    return reverse("portal:patient_home", args=[patient.pk])


def prefix(access) -> str:
    return f"c{access.pk.hex[:8]}"


def test_the_patient_changes_a_caregivers_scopes_and_it_holds_on_the_next_request(world):
    alice = login(Client(), patient_account(world.alice))
    carla_user = caregiver_account(world.alice, "carla", [PortalScope.DIARY])
    carla = login(Client(), carla_user)
    carla_access = PortalAccess.objects.get(user=carla_user)
    page = alice.get(people_of(world.alice))
    assert page.status_code == 200 and "Carla" in page.content.decode()
    assert 'data-testid="scope-diary"' in carla.get(home_of(world.alice)).content.decode()

    response = alice.post(
        scopes_url(world.alice, carla_access), {f"{prefix(carla_access)}-scopes": ["visits"]}
    )
    assert response.status_code == 302
    carla_access.refresh_from_db()
    assert carla_access.scopes == ["visits"]
    body = carla.get(home_of(world.alice)).content.decode()
    assert 'data-testid="scope-visits"' in body and 'data-testid="scope-diary"' not in body
    change = AuditEvent.objects.get(event="portal.scopes_change")
    assert (change.role, change.patient_id) == ("portal", world.alice.pk)
    assert change.detail == {"before": ["diary"], "after": ["visits"]}


def test_removing_a_caregiver_refuses_them_at_once(world):
    alice = login(Client(), patient_account(world.alice))
    carla_user = caregiver_account(world.alice, "carla", [PortalScope.DIARY])
    carla = login(Client(), carla_user)
    access = PortalAccess.objects.get(user=carla_user)
    assert carla.get(home_of(world.alice)).status_code == 200
    assert alice.post(remove_url(world.alice, access)).status_code == 302
    assert carla.get(home_of(world.alice)).status_code == 403
    access.refresh_from_db()
    assert access.revoked_at is not None
    assert access.revoked_by is not None and access.revoked_by.username == "alice.portal"
    assert AuditEvent.objects.filter(event="portal.revoke", role="portal").exists()


def test_a_crafted_post_for_another_patients_caregiver_changes_nothing(world):
    alice = login(Client(), patient_account(world.alice))
    bobs_user = caregiver_account(world.bob, "betty", [PortalScope.DIARY])
    bobs = PortalAccess.objects.get(user=bobs_user)
    # Alice's address, Bob's caregiver: not found.
    response = alice.post(scopes_url(world.alice, bobs), {f"{prefix(bobs)}-scopes": ["documents"]})
    assert response.status_code == 404
    assert alice.post(remove_url(world.alice, bobs)).status_code == 404
    # Bob's address: refused by the portal's rule.
    response = alice.post(scopes_url(world.bob, bobs), {f"{prefix(bobs)}-scopes": ["documents"]})
    assert response.status_code == 403
    bobs.refresh_from_db()
    assert (bobs.scopes, bobs.revoked_at) == (["diary"], None)


def test_a_caregiver_cannot_manage_unless_the_agent_deciding_for_the_patient(world):
    carla_user = caregiver_account(world.alice, "carla", [PortalScope.DIARY])
    carla = login(Client(), carla_user)
    other = PortalAccess.objects.get(
        user=caregiver_account(world.alice, "dora", [PortalScope.DIARY])
    )
    assert carla.get(people_of(world.alice)).status_code == 403
    crafted = {f"{prefix(other)}-scopes": ["documents"]}
    response = carla.post(scopes_url(world.alice, other), crafted)
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.scopes == ["diary"]

    # The team records that alice cannot decide; carla is her healthcare agent.
    agent = family_member(world.alice, "Carla Anders")
    carla_access = PortalAccess.objects.get(user=carla_user)
    PortalAccess.objects.filter(pk=carla_access.pk).update(person=agent)
    with pytest.raises(ValidationError):
        # Only the healthcare agent (rank 0) may decide: an alternate may not.
        HealthcareAgent.objects.filter(pk=agent.pk).update(rank=1)
        team.decides_for_patient_set(
            actor=world.navigator, patient=world.alice, access_id=carla_access.pk, decides=True
        )
    HealthcareAgent.objects.filter(pk=agent.pk).update(rank=0)
    team.decides_for_patient_set(
        actor=world.navigator, patient=world.alice, access_id=carla_access.pk, decides=True
    )
    assert carla.get(people_of(world.alice)).status_code == 200
    carla.post(scopes_url(world.alice, other), {f"{prefix(other)}-scopes": ["documents"]})
    other.refresh_from_db()
    assert other.scopes == ["documents"]


def test_the_team_suspends_a_caregiver_with_a_reason_and_lifts_it(world):
    carla_user = caregiver_account(world.alice, "carla", [PortalScope.DIARY])
    carla = login(Client(), carla_user)
    access = PortalAccess.objects.get(user=carla_user)
    nina = login(Client(), world.navigator)
    suspend = reverse("portal_team:suspend", args=[world.alice.pk, access.pk])
    # No reason: a clear message, nothing changed.
    response = nina.post(suspend, {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason for suspending this access." in response.content.decode()
    access.refresh_from_db()
    assert access.suspended_at is None
    response = nina.post(suspend, {"reason": "The patient asked us to, by phone"})
    assert response.status_code == 302
    access.refresh_from_db()
    assert access.suspended_reason == "The patient asked us to, by phone"
    assert access.suspended_by == world.navigator
    assert carla.get(home_of(world.alice)).status_code == 403
    page = nina.get(reverse("portal_team:patient", args=[world.alice.pk])).content.decode()
    assert "The patient asked us to, by phone" in page
    nina.post(reverse("portal_team:lift", args=[world.alice.pk, access.pk]))
    assert carla.get(home_of(world.alice)).status_code == 200
    events = list(
        AuditEvent.objects.filter(event__in=["portal.suspend", "portal.lift"]).values_list(
            "event", flat=True
        )
    )
    assert sorted(events) == ["portal.lift", "portal.suspend"]
    # Someone not on alice's team cannot suspend.
    sam = login(Client(), world.social_worker)
    assert sam.post(suspend, {"reason": "No"}).status_code == 404
    access.refresh_from_db()
    assert access.suspended_at is None


def test_a_suspended_caregivers_scopes_cannot_be_changed_by_them(world):
    agent_user = caregiver_account(world.alice, "carla", [PortalScope.DIARY])
    access = PortalAccess.objects.get(user=agent_user)
    PortalAccess.objects.filter(pk=access.pk).update(
        person=family_member(world.alice, "Carla Anders"),
        decides_for_patient=True,
        suspended_at=clock.now(),
    )
    access.refresh_from_db()
    assert not can_manage_people(access)
    with pytest.raises(PermissionDenied):
        caregiver_scopes_set(access=access, caregiver=access, scopes=["documents"])


# --- adolescents ------------------------------------------------------------------------------


def _teen(world):
    today = clock.today_in(world.riverside.timezone)
    born = date(today.year - 15, 1, 1)
    return make_patient(world.riverside, "Tess", "Teen", born, team=(world.navigator,))


def test_an_adolescent_is_judged_by_the_programs_age_band(world):
    teen = _teen(world)
    today = clock.today_in(world.riverside.timezone)
    assert is_adolescent(teen, today)
    assert not is_adolescent(world.alice, today)
    assert not is_adolescent(teen, today + timedelta(days=366 * 3))
    world.riverside.settings = {"portal_adolescent_ages": [16, 17]}
    world.riverside.save()
    teen.refresh_from_db()
    assert not is_adolescent(teen, today)


def test_only_the_adolescent_decides_who_sees_their_care(world):
    teen = _teen(world)
    tess = login(Client(), patient_account(teen))
    parent_user = caregiver_account(teen, "pat.parent", list(PortalScope.values))
    PortalAccess.objects.filter(user=parent_user).update(
        person=family_member(teen, "Pat Teen"), decides_for_patient=True
    )
    parent = login(Client(), parent_user)
    page = tess.get(people_of(teen))
    assert page.status_code == 200 and 'data-testid="confidential-note"' in page.content.decode()
    assert parent.get(people_of(teen)).status_code == 403
    # Nor may the parent undo the adolescent's choice by a crafted request.
    mine = PortalAccess.objects.get(user=parent_user)
    parent.post(remove_url(teen, mine))
    mine.refresh_from_db()
    assert mine.revoked_at is None


def test_confidential_items_are_the_patients_own(world):
    teen = _teen(world)
    patient_access = PortalAccess.objects.get(user=patient_account(teen))
    parent_access = PortalAccess.objects.get(
        user=caregiver_account(teen, "pat.parent", list(PortalScope.values))
    )
    family_member(teen, "Pat Teen", rank=0)
    family_member(teen, "Kim Teen", rank=1)
    # Any model with a boolean `confidential` field: here the second row is marked so.
    rows = HealthcareAgent.objects.filter(patient=teen).annotate(
        confidential=Case(
            When(rank=1, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )
    assert [r.name for r in visible_items(patient_access, rows)] == ["Pat Teen", "Kim Teen"]
    assert [r.name for r in visible_items(parent_access, rows)] == ["Pat Teen"]
    secret = rows.get(rank=1)
    assert may_see(patient_access, secret) and not may_see(parent_access, secret)


# --- the second factor ------------------------------------------------------------------------


def test_a_portal_account_may_add_a_second_factor_and_is_not_forced_to(world):
    user = patient_account(world.alice)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    # No second factor proved in this session: the portal still opens.
    assert client.get(home_of(world.alice)).status_code == 200
    account = client.get(reverse("portal:account"))
    assert account.status_code == 200
    assert reverse("mfa_activate_totp") in account.content.decode()
    assert client.get(reverse("mfa_activate_totp")).status_code in (200, 302)
    assert client.get(reverse("mfa_index")).status_code == 200

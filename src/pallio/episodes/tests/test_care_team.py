"""The care team after enrollment (episodes/services.py): who may join, the lead, adding and
ending members with their history. Each refusal says why and changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.audit.models import AuditEvent
from pallio.core import access
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes.discharge import discharge_apply
from pallio.episodes.models import CareTeamLeadChange, CareTeamMember
from pallio.episodes.selectors import care_team_history_of
from pallio.episodes.services import (
    care_team_candidates,
    care_team_check,
    care_team_lead_change,
    care_team_member_add,
    care_team_member_end,
    care_team_refusal,
    care_team_suggest,
)

pytestmark = pytest.mark.django_db


def _episode(world):
    return world.alice.episodes.get(status="active")


def _member(world, user):
    return CareTeamMember.objects.get(patient=world.alice, user=user, active=True)


def _snapshot(world):
    """Everything a refused change must leave as it was."""
    return (
        sorted(
            (str(m.user_id), m.active, m.is_lead, m.ended_at)
            for m in CareTeamMember.objects.filter(patient=world.alice)
        ),
        CareTeamLeadChange.objects.filter(patient=world.alice).count(),
        AuditEvent.objects.filter(event__startswith="careteam.").count(),
    )


# --- which roles may join -------------------------------------------------------------------


def test_the_team_roles_are_the_clinicians_the_director_and_on_call(world):
    candidates = set(care_team_candidates(world.riverside.pk))
    assert {
        world.navigator,
        world.physician,
        world.social_worker,
        world.director,
        world.oncall,
    } <= (candidates)
    assert world.coordinator not in candidates and world.privacy not in candidates
    assert world.hillside_nurse not in candidates


def test_an_inactive_account_is_no_candidate_and_is_refused_by_name(world):
    world.social_worker.is_active = False
    world.social_worker.save()
    assert world.social_worker not in care_team_candidates(world.riverside.pk)
    assert care_team_refusal(world.social_worker, program_id=world.riverside.pk) == (
        "Sam Social's account is not active: they cannot join a care team."
    )


def test_a_role_that_may_not_join_is_named_in_the_refusal(world):
    assert care_team_refusal(world.coordinator, program_id=world.riverside.pk) == (
        "Cora Coordinator cannot join a care team: an intake coordinator does not care for "
        "patients on a team. Choose a care-team clinician, the medical director or an on-call "
        "clinician."
    )
    assert care_team_refusal(world.hillside_nurse, program_id=world.riverside.pk) == (
        "Choose care team members from this program."
    )


# --- the team chosen at enrollment ------------------------------------------------------------


def test_a_chosen_team_needs_a_member_and_the_lead_on_it(world):
    with pytest.raises(ValidationError) as empty:
        care_team_check(program_id=world.riverside.pk, team=[])
    assert empty.value.message_dict == {"team": ["Choose at least one member of the care team."]}
    with pytest.raises(ValidationError) as off_team:
        care_team_check(program_id=world.riverside.pk, team=[world.physician], lead=world.navigator)
    assert off_team.value.message_dict == {
        "lead": ["The lead must be one of the chosen team members."]
    }
    with pytest.raises(ValidationError) as privacy:
        care_team_check(program_id=world.riverside.pk, team=[world.physician, world.privacy])
    assert "Priya Privacy cannot join a care team" in privacy.value.message_dict["team"][0]


def test_without_a_named_lead_the_nurse_navigator_leads(world):
    team = [world.physician, world.navigator]
    assert care_team_check(program_id=world.riverside.pk, team=team) == world.navigator
    assert care_team_check(program_id=world.riverside.pk, team=[world.physician]) == (
        world.physician
    )


def test_the_suggested_team_prefers_a_team_clinician_with_the_smaller_caseload(world):
    other_physician = make_staff(world.riverside, "pia", Role.CLINICIAN, "physician", "Pia", "P")
    staff = list(care_team_candidates(world.riverside.pk))
    caseloads = {world.physician.pk: 5, other_physician.pk: 1}
    for person in staff:
        person.caseload = caseloads.get(person.pk, 0)
    team, lead = care_team_suggest(world.riverside, staff)
    # physician, nurse navigator, social worker by default; Dana the director is a physician
    # too but a team clinician comes first.
    assert team == [other_physician, world.navigator, world.social_worker]
    assert lead == world.navigator


# --- adding a member --------------------------------------------------------------------------


def test_adding_a_member_gives_them_the_chart_and_is_audited(world):
    assert not access.can_access_patient(world.social_worker, world.alice)
    member = care_team_member_add(
        actor=world.navigator, episode=_episode(world), user=world.social_worker
    )
    assert member.active and not member.is_lead and member.added_by == world.navigator
    assert access.can_access_patient(world.social_worker, world.alice)
    event = AuditEvent.objects.get(event="careteam.add", object_id=str(member.pk))
    assert event.username == "nina" and event.patient_id == world.alice.pk


def test_a_member_is_not_added_twice(world):
    before = _snapshot(world)
    with pytest.raises(ValidationError) as refused:
        care_team_member_add(actor=world.navigator, episode=_episode(world), user=world.physician)
    assert refused.value.message_dict == {"user": ["Phil Physician is already on the care team."]}
    assert _snapshot(world) == before


@pytest.mark.parametrize("who", ["coordinator", "privacy", "hillside_nurse", "inactive"])
def test_who_may_not_join_is_refused_and_nothing_changes(world, who):
    if who == "inactive":
        world.social_worker.is_active = False
        world.social_worker.save()
        person = world.social_worker
    else:
        person = getattr(world, who)
    before = _snapshot(world)
    with pytest.raises(ValidationError) as refused:
        care_team_member_add(actor=world.navigator, episode=_episode(world), user=person)
    assert list(refused.value.message_dict) == ["user"]
    assert _snapshot(world) == before
    assert not CareTeamMember.objects.filter(patient=world.alice, user=person).exists()


def test_a_social_worker_may_not_change_the_team(world):
    care_team_member_add(actor=world.navigator, episode=_episode(world), user=world.social_worker)
    before = _snapshot(world)
    with pytest.raises(PrivilegeDenied) as refused:
        care_team_member_add(actor=world.social_worker, episode=_episode(world), user=world.oncall)
    assert str(refused.value).startswith("A social worker may not change the care team")
    assert _snapshot(world) == before


def test_the_team_of_an_ended_enrollment_does_not_change(world):
    episode = _episode(world)
    discharge_apply(actor=world.navigator, episode=episode, reason="goals_met", on=episode.start)
    before = _snapshot(world)
    with pytest.raises(ValidationError, match="This enrollment has ended"):
        care_team_member_add(actor=world.director, episode=episode, user=world.social_worker)
    assert _snapshot(world) == before


def test_adding_as_lead_moves_the_lead_and_records_it(world):
    member = care_team_member_add(
        actor=world.director, episode=_episode(world), user=world.oncall, make_lead=True
    )
    assert member.is_lead
    assert not _member(world, world.navigator).is_lead
    change = CareTeamLeadChange.objects.filter(patient=world.alice).latest("created_at")
    assert (change.from_user, change.to_user, change.changed_by) == (
        world.navigator,
        world.oncall,
        world.director,
    )


# --- the lead -----------------------------------------------------------------------------------


def test_changing_the_lead_records_who_when_and_from_whom_to_whom(world):
    physician = _member(world, world.physician)
    care_team_lead_change(actor=world.navigator, episode=_episode(world), member=physician)
    physician.refresh_from_db()
    assert physician.is_lead and not _member(world, world.navigator).is_lead
    change = CareTeamLeadChange.objects.filter(patient=world.alice).latest("created_at")
    assert (change.from_user, change.to_user, change.changed_by) == (
        world.navigator,
        world.physician,
        world.navigator,
    )
    assert AuditEvent.objects.filter(event="careteam.lead", username="nina").exists()


def test_the_lead_must_be_a_current_member_of_this_team(world):
    hana_member = CareTeamMember.objects.get(patient=world.hana)
    before = _snapshot(world)
    for member in (_member(world, world.navigator), hana_member):
        with pytest.raises(ValidationError):
            care_team_lead_change(actor=world.navigator, episode=_episode(world), member=member)
    assert _snapshot(world) == before


# --- ending a membership ----------------------------------------------------------------------


def test_ending_a_member_keeps_the_row_and_ends_their_access(world):
    added = care_team_member_add(
        actor=world.navigator, episode=_episode(world), user=world.social_worker
    )
    care_team_member_end(actor=world.director, episode=_episode(world), member=added)
    added.refresh_from_db()
    assert not added.active and added.ended_at is not None and added.ended_by == world.director
    assert not access.can_access_patient(world.social_worker, world.alice)
    assert AuditEvent.objects.filter(event="careteam.end", object_id=str(added.pk)).exists()


def test_the_lead_is_not_ended_without_a_new_lead(world):
    lead = _member(world, world.navigator)
    before = _snapshot(world)
    with pytest.raises(ValidationError) as refused:
        care_team_member_end(actor=world.director, episode=_episode(world), member=lead)
    assert refused.value.message_dict == {
        "new_lead": [
            "Nina Navigator leads the team: name the new lead before ending their membership."
        ]
    }
    with pytest.raises(ValidationError) as itself:
        care_team_member_end(
            actor=world.director, episode=_episode(world), member=lead, new_lead=lead.pk
        )
    assert "new_lead" in itself.value.message_dict
    assert _snapshot(world) == before


def test_ending_the_lead_with_a_successor_moves_the_lead_first(world):
    lead = _member(world, world.navigator)
    physician = _member(world, world.physician)
    care_team_member_end(
        actor=world.director, episode=_episode(world), member=lead, new_lead=physician.pk
    )
    lead.refresh_from_db()
    physician.refresh_from_db()
    assert not lead.active and not lead.is_lead and physician.is_lead
    change = CareTeamLeadChange.objects.filter(patient=world.alice).latest("created_at")
    assert (change.from_user, change.to_user) == (world.navigator, world.physician)


def test_the_history_tells_who_joined_left_and_led(world):
    added = care_team_member_add(
        actor=world.navigator, episode=_episode(world), user=world.social_worker
    )
    care_team_member_end(actor=world.director, episode=_episode(world), member=added)
    care_team_lead_change(
        actor=world.navigator, episode=_episode(world), member=_member(world, world.physician)
    )
    texts = [(e.text, e.by) for e in care_team_history_of(world.alice)]
    assert ("Sam Social joined the team (social worker / counselor)", "Nina Navigator") in texts
    assert ("Sam Social left the team (social worker / counselor)", "Dana Director") in texts
    assert ("Lead changed from Nina Navigator to Phil Physician", "Nina Navigator") in texts
    assert ("Nina Navigator became the lead", "") in texts


def test_a_discharge_ends_the_team_and_names_who_ended_it(world):
    episode = _episode(world)
    discharge_apply(actor=world.navigator, episode=episode, reason="goals_met", on=episode.start)
    assert not CareTeamMember.objects.filter(patient=world.alice, active=True).exists()
    assert set(
        CareTeamMember.objects.filter(patient=world.alice).values_list("ended_by", flat=True)
    ) == {world.navigator.pk}

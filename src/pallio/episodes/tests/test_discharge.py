"""Discharge with a coded reason, the final summary to the referrer, and enrolling again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes.discharge import episode_discharge, episode_reenroll
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.referrals import services as referrals
from pallio.referrals.models import Letter
from pallio.referrals.tasks import letter_send
from pallio.referrals.tests.factories import enrolled_referral

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 13:00 in Riverside (New York)
ZONE = ZoneInfo("America/New_York")


def _enrolled(world):
    with clock.frozen(NOON - timedelta(days=30)):
        referral = enrolled_referral(world)
    return referral, referral.episode


def _today():
    return NOON.astimezone(ZONE).date()


def test_discharge_records_the_reason_the_note_and_who(world):
    _, episode = _enrolled(world)
    with clock.frozen(NOON):
        episode_discharge(
            actor=world.navigator,
            episode=episode,
            reason="goals_met",
            on=_today(),
            note="Pain controlled; back with the oncologist.",
        )
    episode.refresh_from_db()
    assert episode.status == EpisodeOfCare.Status.FINISHED
    assert episode.end == NOON
    assert episode.discharge_reason == "goals_met"
    assert episode.get_discharge_reason_display() == "Goals met, stable"
    assert episode.discharge_note == "Pain controlled; back with the oncologist."
    assert episode.discharged_by == world.navigator
    assert AuditEvent.objects.filter(event="episode.discharge", object_id=str(episode.pk)).exists()
    # The team's memberships end with the episode: the patient leaves their caseloads.
    assert not CareTeamMember.objects.filter(episode=episode, active=True).exists()


def test_discharge_on_an_earlier_day_ends_at_the_end_of_that_day(world):
    _, episode = _enrolled(world)
    with clock.frozen(NOON):
        episode_discharge(
            actor=world.navigator,
            episode=episode,
            reason="moved_away",
            on=_today() - timedelta(days=2),
        )
    episode.refresh_from_db()
    local = episode.end.astimezone(ZONE)
    assert (local.date(), local.hour, local.minute) == (_today() - timedelta(days=2), 23, 59)


def test_final_summary_goes_to_the_referring_clinician_never_the_patient(world):
    referral, episode = _enrolled(world)
    referral.patient.email = "rosa@example.org"
    referral.patient.save()
    with clock.frozen(NOON):
        episode_discharge(
            actor=world.navigator, episode=episode, reason="declined", on=_today(), note=""
        )
    letter = Letter.objects.get(referral=referral, kind=Letter.Kind.DISCHARGED)
    assert letter.to_email == "osler@example.org"
    assert "Declined further care" in letter.body
    assert referral.reference in letter.body
    mail.outbox.clear()
    assert letter_send.call(letter_id=str(letter.pk))
    assert [m.to for m in mail.outbox] == [["osler@example.org"]]
    assert all("rosa@example.org" not in m.to for m in mail.outbox)


@pytest.mark.parametrize(
    ("reason", "on", "note", "field"),
    [
        ("", 0, "", "reason"),
        ("retired", 0, "", "reason"),
        ("other", 0, "", "note"),
        ("goals_met", 0, "x" * 1001, "note"),
        ("goals_met", 0, "nul\x00", "note"),
        ("goals_met", 1, "", "on"),  # tomorrow
        ("goals_met", -40, "", "on"),  # before the enrollment began
    ],
)
def test_bad_discharge_is_refused_and_changes_nothing(world, reason, on, note, field):
    _, episode = _enrolled(world)
    events = AuditEvent.objects.count()
    with clock.frozen(NOON), pytest.raises(ValidationError) as refused:
        episode_discharge(
            actor=world.navigator,
            episode=episode,
            reason=reason,
            on=_today() + timedelta(days=on),
            note=note,
        )
    assert field in refused.value.message_dict
    episode.refresh_from_db()
    assert episode.status == EpisodeOfCare.Status.ACTIVE and episode.discharge_reason == ""
    assert AuditEvent.objects.count() == events
    assert not Letter.objects.filter(kind=Letter.Kind.DISCHARGED).exists()


def test_a_discharge_cannot_say_death_without_a_death_record(world):
    _, episode = _enrolled(world)
    with clock.frozen(NOON), pytest.raises(ValidationError, match="Record the death"):
        episode_discharge(actor=world.navigator, episode=episode, reason="death", on=_today())


def test_a_second_discharge_is_refused(world):
    _, episode = _enrolled(world)
    with clock.frozen(NOON):
        episode_discharge(actor=world.navigator, episode=episode, reason="goals_met", on=_today())
        with pytest.raises(ValidationError, match="already ended"):
            episode_discharge(
                actor=world.navigator, episode=episode, reason="moved_away", on=_today()
            )
    assert Letter.objects.filter(kind=Letter.Kind.DISCHARGED).count() == 1


def test_a_social_worker_may_not_discharge(world):
    _, episode = _enrolled(world)
    with clock.frozen(NOON), pytest.raises(PrivilegeDenied):
        episode_discharge(
            actor=world.social_worker, episode=episode, reason="goals_met", on=_today()
        )


# --- enrolling again ----------------------------------------------------------------------------


def test_enrolling_again_opens_a_new_episode_and_keeps_the_old_one(world):
    referral, episode = _enrolled(world)
    with clock.frozen(NOON):
        episode_discharge(actor=world.navigator, episode=episode, reason="goals_met", on=_today())
    with clock.frozen(NOON + timedelta(days=60)):
        again = episode_reenroll(
            actor=world.coordinator,
            patient=referral.patient,
            team=[world.physician],
            first_visit_due=_today() + timedelta(days=62),
            note="Pain back after chemotherapy stopped.",
        )
    episodes = list(referral.patient.episodes.order_by("start"))
    assert episodes == [episode, again]
    assert episodes[0].status == "finished" and episodes[0].discharge_reason == "goals_met"
    assert again.status == "active" and again.referral is None
    assert list(CareTeamMember.objects.filter(patient=referral.patient, active=True)) == list(
        again.team.all()
    )
    task = Task.objects.get(episode=again, kind="first_contact")
    assert task.assigned_to == world.physician and task.status == "open"
    # Its later discharge writes to the referrer of the enrollment it continues.
    with clock.frozen(NOON + timedelta(days=90)):
        episode_discharge(
            actor=world.physician, episode=again, reason="moved_away", on=_today() + timedelta(90)
        )
    assert Letter.objects.filter(referral=referral, kind=Letter.Kind.DISCHARGED).count() == 2


def test_enrolling_again_is_refused_while_enrolled_and_after_death(world):
    referral, _ = _enrolled(world)
    patient = referral.patient
    with clock.frozen(NOON), pytest.raises(ValidationError, match="already enrolled"):
        episode_reenroll(
            actor=world.coordinator,
            patient=patient,
            team=[world.physician],
            first_visit_due=_today(),
        )
    EpisodeOfCare.objects.filter(patient=patient).update(status="finished", end=NOON)
    patient.deceased_at = NOON
    patient.save()
    with clock.frozen(NOON), pytest.raises(ValidationError, match="has died"):
        episode_reenroll(
            actor=world.coordinator,
            patient=patient,
            team=[world.physician],
            first_visit_due=_today(),
        )
    assert patient.episodes.count() == 1


@pytest.mark.parametrize(
    ("team", "due", "field"),
    [
        ("none", 0, "team"),
        ("hillside", 0, "team"),
        ("ok", -1, "first_visit_due"),
        ("ok", 91, "first_visit_due"),
    ],
)
def test_bad_reenrollment_is_refused_and_changes_nothing(world, team, due, field):
    referral, episode = _enrolled(world)
    with clock.frozen(NOON):
        episode_discharge(actor=world.navigator, episode=episode, reason="goals_met", on=_today())
    members = {"none": [], "hillside": [world.hillside_nurse], "ok": [world.physician]}[team]
    with clock.frozen(NOON), pytest.raises(ValidationError) as refused:
        episode_reenroll(
            actor=world.coordinator,
            patient=referral.patient,
            team=members,
            first_visit_due=_today() + timedelta(days=due),
        )
    assert field in refused.value.message_dict
    assert referral.patient.episodes.count() == 1


def test_a_second_referral_of_a_discharged_patient_enrolls_again(world):
    """The referral path: a new referral for the same patient, accepted, is a new episode."""
    referral, episode = _enrolled(world)
    with clock.frozen(NOON):
        episode_discharge(actor=world.navigator, episode=episode, reason="goals_met", on=_today())
    with clock.frozen(NOON + timedelta(days=30)):
        second = enrolled_referral(world, accept=False)
        if second.patient_id != referral.patient_id:
            second.patient = referral.patient
            second.save()
        referrals.referral_accept(
            actor=world.coordinator,
            referral=second,
            expected_version=second.version,
            team=[world.navigator],
        )
    assert referral.patient.episodes.count() == 2
    assert referral.patient.episodes.filter(status="active").get().referral == second

"""Diary reminders: at the episode's cadence, once per due day, never to the dead or after the
episode ended, only to accounts that may fill in the diary."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from pallio.core import clock, sms
from pallio.episodes.models import EpisodeOfCare
from pallio.portal.diary import diary_submit
from pallio.portal.diary_models import DiaryReminder
from pallio.portal.diary_reminders import diary_reminders_sweep
from pallio.portal.models import PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account

pytestmark = pytest.mark.django_db

ESAS = {"pain": "3", "tiredness": "2"}


@pytest.fixture(autouse=True)
def _texts(settings: Any) -> Any:
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def local_noon(world: Any, days: int = 0) -> datetime:
    zone = ZoneInfo(world.riverside.timezone)
    day = clock.now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(12), tzinfo=zone)


def enrolled_days_ago(patient: Any, when: datetime) -> EpisodeOfCare:
    episode = patient.episodes.get(status="active")
    episode.start = when
    episode.reporting_cadence = "weekly"
    episode.save()
    return episode


def test_a_reminder_goes_once_per_due_day_by_email_and_text(world):
    noon = local_noon(world)
    enrolled_days_ago(world.alice, noon - timedelta(days=8))
    patient_account(world.alice)
    result = diary_reminders_sweep(now=noon)
    assert (result.claimed, result.sent) == (2, 2)
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert mail.outbox[0].to == ["alice.portal@example.net"]
    assert sms.outbox[0].to == "+16175550111"
    body = mail.outbox[0].body
    assert "symptom diary" in body and "Alice" not in body and "Anders" not in body
    # Again the same day, and the next day: the same due day, nothing more.
    assert diary_reminders_sweep(now=noon + timedelta(minutes=1)).claimed == 0
    assert diary_reminders_sweep(now=noon + timedelta(days=1)).claimed == 0
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    # A diary sent moves the due day on a week.
    with clock.frozen(noon + timedelta(days=1)):
        diary_submit(
            user=world.alice.portal_accesses.get().user,
            patient_id=world.alice.pk,
            instrument_key="esas-r",
            answers=ESAS,
        )
    assert diary_reminders_sweep(now=noon + timedelta(days=7)).claimed == 0
    assert diary_reminders_sweep(now=noon + timedelta(days=8)).claimed == 2
    assert len(mail.outbox) == 2


def test_not_before_the_due_day_nor_at_night(world):
    noon = local_noon(world)
    enrolled_days_ago(world.alice, noon - timedelta(days=6))
    patient_account(world.alice)
    assert diary_reminders_sweep(now=noon).claimed == 0
    assert diary_reminders_sweep(now=noon + timedelta(hours=14)).claimed == 0  # 02:00
    assert diary_reminders_sweep(now=noon + timedelta(days=1)).claimed == 2


def test_none_to_a_patient_who_died_or_whose_episode_ended(world):
    noon = local_noon(world)
    enrolled_days_ago(world.alice, noon - timedelta(days=8))
    patient_account(world.alice)
    world.alice.deceased_at = noon - timedelta(days=1)
    world.alice.save()
    assert diary_reminders_sweep(now=noon).claimed == 0
    EpisodeOfCare.objects.create(
        program=world.riverside,
        patient=world.bob,
        start=noon - timedelta(days=30),
        end=noon - timedelta(days=2),
        first_visit_due=(noon - timedelta(days=27)).date(),
        status=EpisodeOfCare.Status.FINISHED,
    )
    patient_account(world.bob)
    assert diary_reminders_sweep(now=noon).claimed == 0
    assert not mail.outbox and not sms.outbox


def test_a_death_recorded_after_the_claim_withholds_the_reminder(world):
    from pallio.portal import diary_reminders

    noon = local_noon(world)
    enrolled_days_ago(world.alice, noon - timedelta(days=8))
    patient_account(world.alice)

    assert diary_reminders.reminders_claim(now=noon) == 2
    world.alice.deceased_at = noon
    world.alice.save()
    result = diary_reminders_sweep(now=noon)
    assert (result.sent, result.withheld) == (0, 2)
    assert not mail.outbox and not sms.outbox
    assert set(DiaryReminder.objects.values_list("status", flat=True)) == {"withheld"}


def test_only_caregivers_with_the_diary_scope_and_none_when_no_report_is_expected(world):
    noon = local_noon(world)
    episode = enrolled_days_ago(world.alice, noon - timedelta(days=8))
    caregiver_account(world.alice, "vic.family", [PortalScope.VISITS])
    caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    world.riverside.settings = {**world.riverside.settings, "diary_reminder_channels": ["email"]}
    world.riverside.save()
    assert diary_reminders_sweep(now=noon).sent == 1
    assert mail.outbox[0].to == ["carla.family@example.net"]
    episode.reporting_cadence = "none"
    episode.save()
    assert diary_reminders_sweep(now=noon + timedelta(days=30)).claimed == 0


def test_the_command_runs_the_sweep(world, capsys):
    call_command("diary", "sweep", "--now")
    assert "diary reminders:" in capsys.readouterr().out

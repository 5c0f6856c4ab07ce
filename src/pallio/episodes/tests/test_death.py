"""A death recorded on the chart or from the 24/7 line: one record, the open work closed, the
enrollment discharged, the bereaved phase recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from pallio.acp.models import PlacePreference
from pallio.assessments.models import Alert, PhaseOfCare
from pallio.assessments.tests.samples import riverside_alert
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes.bereavement import ADD_FAMILY_TASK
from pallio.episodes.death import DeathInput, death_record
from pallio.episodes.models import BereavementFollowUp, DeathRecord, EpisodeOfCare
from pallio.referrals.models import Letter
from pallio.referrals.tests.factories import enrolled_referral
from pallio.support import services as support
from pallio.support.tests.helpers import a_call

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 13:00 in Riverside (New York)
ZONE = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _enrolled_before_noon(world):
    """The world enrolls alice at the machine's time: move her enrollment before NOON."""
    EpisodeOfCare.objects.update(start=NOON - timedelta(days=60))


def _prefers(patient, place: str) -> None:
    PlacePreference.objects.create(
        program_id=patient.program_id, patient=patient, place_of_death=place
    )


def _death(**overrides) -> DeathInput:
    values = dict(
        died_at=NOON - timedelta(hours=2),
        place="home",
        present="Her daughter and her husband",
        expected=True,
    )
    values.update(overrides)
    return DeathInput(**values)  # type: ignore[arg-type]


def test_a_death_on_the_chart_is_recorded_with_place_against_preference(world):
    alice = world.alice
    _prefers(alice, "home")
    with clock.frozen(NOON):
        record = death_record(actor=world.physician, patient=alice, data=_death())
    alice.refresh_from_db()
    assert alice.deceased_at == NOON - timedelta(hours=2)
    assert record.place == "home" and record.get_place_display() == "Home"
    assert (record.preferred_place, record.preferred_place_display) == ("home", "Home")
    assert record.at_preferred_place is True
    assert record.expected is True and record.present == "Her daughter and her husband"
    assert record.source == "chart" and record.recorded_by == world.physician
    assert AuditEvent.objects.filter(event="death.record", object_id=str(record.pk)).exists()


@pytest.mark.parametrize(
    ("place", "preferred", "at_preferred"),
    [
        ("icu", "home", False),
        ("hospital_ward", "hospital", True),
        ("emergency", "hospital", True),
        ("hospice_unit", "hospice_unit", True),
        ("nursing_home", "", None),  # never discussed
        ("other", "home", None),  # somewhere else cannot be compared
    ],
)
def test_the_place_of_death_is_compared_with_the_preferred_place(
    world, place, preferred, at_preferred
):
    if preferred:
        _prefers(world.alice, preferred)
    with clock.frozen(NOON):
        record = death_record(
            actor=world.physician,
            patient=world.alice,
            data=_death(place=place, place_detail="A friend's house" if place == "other" else ""),
        )
    assert record.at_preferred_place is at_preferred


def test_a_death_closes_every_open_task_and_alert_with_the_reason(world):
    alice = world.alice
    alert_id = riverside_alert(world)
    with clock.frozen(NOON - timedelta(days=1)):
        task_create(
            actor=world.navigator,
            patient=alice,
            kind=TaskKind.FOLLOW_UP,
            title="Call the daughter about respite",
            due=NOON.date() + timedelta(days=3),
        )
    assert Task.objects.filter(patient=alice, status="open").count() >= 2
    with clock.frozen(NOON):
        death_record(actor=world.physician, patient=alice, data=_death())
    # What stays open is the bereavement follow-up's own work, which the death opens.
    assert not (
        Task.objects.filter(patient=alice, status="open").exclude(title=ADD_FAMILY_TASK).exists()
    )
    assert BereavementFollowUp.objects.filter(patient=alice, status="open").exists()
    cancelled = Task.objects.filter(patient=alice, status="cancelled")
    assert cancelled.count() >= 2
    assert set(cancelled.values_list("cancel_reason", flat=True)) <= {"Patient died", ""}
    assert cancelled.filter(cancel_reason="Patient died").count() >= 2
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.status, alert.action_taken) == ("resolved", "Patient died")


def test_a_death_discharges_the_episode_and_writes_to_the_referrer(world):
    with clock.frozen(NOON - timedelta(days=20)):
        referral = enrolled_referral(world)
    patient = referral.patient
    _prefers(patient, "home")
    with clock.frozen(NOON):
        death_record(
            actor=world.physician,
            patient=patient,
            data=_death(place="hospital_ward", expected=False),
        )
    episode = referral.episode
    episode.refresh_from_db()
    assert episode.status == EpisodeOfCare.Status.FINISHED
    assert (episode.discharge_reason, episode.end) == ("death", NOON - timedelta(hours=2))
    letter = Letter.objects.get(referral=referral, kind="discharged")
    assert letter.to_email == "osler@example.org"
    assert "Reason: Died" in letter.body
    assert "hospital ward" in letter.body and "the patient died elsewhere" in letter.body
    assert "Expected death: no" in letter.body
    # The team stays on the record for the death's own tasks and the family's follow-up.
    assert episode.team.filter(active=True).exists()


def test_the_family_enters_the_bereaved_phase(world):
    with clock.frozen(NOON):
        death_record(actor=world.physician, patient=world.alice, data=_death())
    phase = PhaseOfCare.objects.filter(patient=world.alice).order_by("-recorded_at").first()
    assert phase is not None and phase.phase == "bereaved"
    assert phase.recorded_at == NOON - timedelta(hours=2)


# --- bad input: a clear message, nothing changed --------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"died_at": NOON + timedelta(hours=1)}, "died_at"),  # in the future
        ({"died_at": datetime(1949, 12, 31, 12, tzinfo=UTC)}, "died_at"),  # before birth
        ({"died_at": None}, "died_at"),
        ({"place": "garden"}, "place"),
        ({"place": "other", "place_detail": ""}, "place_detail"),
        ({"present": "x" * 301}, "present"),
        ({"present": "nul\x00"}, "present"),
    ],
)
def test_bad_death_input_is_refused_and_changes_nothing(world, overrides, field):
    tasks = Task.objects.filter(status="open").count()
    events = AuditEvent.objects.count()
    with clock.frozen(NOON), pytest.raises(ValidationError) as refused:
        death_record(actor=world.physician, patient=world.alice, data=_death(**overrides))
    assert field in refused.value.message_dict
    world.alice.refresh_from_db()
    assert world.alice.deceased_at is None
    assert not DeathRecord.objects.exists()
    assert Task.objects.filter(status="open").count() == tasks
    assert AuditEvent.objects.count() == events
    assert world.alice.episodes.get().status == "active"


def test_a_second_death_record_is_refused(world):
    with clock.frozen(NOON):
        first = death_record(actor=world.physician, patient=world.alice, data=_death())
        with pytest.raises(ValidationError, match="already recorded"):
            death_record(
                actor=world.physician,
                patient=world.alice,
                data=_death(died_at=NOON - timedelta(hours=1), place="icu"),
            )
    assert list(DeathRecord.objects.all()) == [first]
    first.refresh_from_db()
    assert first.place == "home"


def test_a_social_worker_may_not_record_a_death(world):
    with clock.frozen(NOON), pytest.raises(PrivilegeDenied):
        death_record(actor=world.social_worker, patient=world.alice, data=_death())
    assert not DeathRecord.objects.exists()


# --- the phone path leads to the same record ------------------------------------------------------


def test_a_death_reported_by_phone_makes_the_death_record(world):
    _prefers(world.alice, "home")
    with clock.frozen(NOON):
        task_id = Task.objects.get(patient=world.alice, status="open").pk
        call = a_call(world.oncall, world.alice, reason="death")
        support.death_report_record(
            actor=world.oncall,
            call=call,
            data=support.DeathInput(
                died_at=NOON - timedelta(minutes=40), place="hospital", present="Her son"
            ),
        )
    record = DeathRecord.objects.get(patient=world.alice)
    assert (record.source, record.place, record.present) == ("phone", "hospital_ward", "Her son")
    assert record.at_preferred_place is False and record.expected is True
    assert Task.objects.get(pk=task_id).cancel_reason == "Patient died"
    # The team's task about the death itself is made after the work is closed: it stays open.
    assert Task.objects.filter(
        patient=world.alice, status="open", title__startswith="Death reported"
    ).exists()
    assert world.alice.episodes.get().discharge_reason == "death"


def test_a_death_already_on_the_chart_is_kept_when_the_line_reports_it(world):
    with clock.frozen(NOON):
        first = death_record(actor=world.physician, patient=world.alice, data=_death())
        call = a_call(world.oncall, world.alice, reason="death")
        support.death_report_record(
            actor=world.oncall,
            call=call,
            data=support.DeathInput(died_at=NOON - timedelta(minutes=30), place="hospital"),
        )
    assert list(DeathRecord.objects.all()) == [first]
    assert world.alice.episodes.count() == 1

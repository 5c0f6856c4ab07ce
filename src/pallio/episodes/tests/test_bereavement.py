"""Bereavement follow-up of the family: the schedule opened with the death, contacts
recorded against a family member, the program's own grief risk screen, referrals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from tests.support.personas import make_patient, make_staff

from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes import bereavement
from pallio.episodes.bereavement import (
    ADD_FAMILY_TASK,
    bereavement_contact_record,
    bereavement_open,
    bereavement_refer,
    bereavement_screen_record,
    risk_screen,
)
from pallio.episodes.models import BereavementContact, BereavementFollowUp, BereavementReferral
from pallio.episodes.services import care_team_add
from pallio.episodes.tests.bereavement_samples import add_family, bereaved
from pallio.programs.models import bereavement_schedule_problems
from pallio.programs.services import program_create

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # noon in Boston
# 22:30 on 30 January in Boston, already 31 January in UTC.
DIED = datetime(2026, 1, 31, 3, 30, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(NOON):
        yield


@pytest.fixture
def family(world, frozen):
    follow_up = bereaved(world, died_at=DIED)
    care_team_add(
        actor=None, episode=world.alice.episodes.get(status="active"), user=world.social_worker
    )
    return follow_up


def contacts_of(follow_up):
    return list(follow_up.contacts.order_by("sequence"))


def record(world, contact, **extra):
    values = {
        "actor": world.social_worker,
        "contact": contact,
        "caregiver": world.alice.healthcare_agents.get(),
        "done_on": date(2026, 3, 1),
        "kind": "call",
        "outcome": "reached",
        "notes": "",
    }
    values.update(extra)
    return bereavement_contact_record(**values)


# --- the schedule -------------------------------------------------------------------------


def test_the_schedule_counts_from_the_day_of_death_in_the_programs_zone(world, family):
    rows = [(c.label, c.planned_kind, c.due_on, c.status) for c in contacts_of(family)]
    assert rows == [
        ("Condolence card", "card", date(2026, 2, 6), "due"),
        # 30 January + 1 month: the last day of February.
        ("Call at 1 month", "call", date(2026, 2, 28), "due"),
        ("Call at 3 months", "call", date(2026, 4, 30), "due"),
        ("Call at 6 months", "call", date(2026, 7, 30), "due"),
        ("Call at 13 months", "call", date(2027, 2, 28), "due"),
    ]
    assert family.status == "open" and family.program == world.riverside
    assert AuditEvent.objects.filter(event="bereavement.open", patient_id=world.alice.pk).count()


def test_opening_twice_changes_nothing(world, family):
    again = bereavement_open(actor=world.physician, patient=world.alice, died_at=NOON)
    assert again.pk == family.pk and again.died_at == DIED
    assert BereavementFollowUp.objects.count() == 1
    assert BereavementContact.objects.count() == 5
    assert AuditEvent.objects.filter(event="bereavement.open").count() == 1


def test_a_programs_own_schedule_is_followed(world, frozen):
    program = program_create(
        name="Lakeside",
        slug="lakeside",
        timezone="America/Los_Angeles",
        settings={
            "bereavement_schedule": [
                {"label": "Card", "kind": "card", "days": 3},
                {"label": "Visit", "kind": "visit", "months": 2},
            ]
        },
    )
    doctor = make_staff(program, "lee", "clinician", "physician", "Lee", "Lake")
    patient = make_patient(program, "Lena", "Lake", date(1950, 5, 5))
    follow_up = bereavement_open(actor=doctor, patient=patient, died_at=DIED)
    # 19:30 on 30 January in Los Angeles.
    assert [(c.label, c.due_on) for c in contacts_of(follow_up)] == [
        ("Card", date(2026, 2, 2)),
        ("Visit", date(2026, 3, 30)),
    ]


@pytest.mark.parametrize(
    "value",
    [
        [],
        "monthly",
        [{"label": "Card", "kind": "letter", "days": 3}],
        [{"label": "", "kind": "card", "days": 3}],
        [{"label": "Card", "kind": "card"}],
        [{"label": "Card", "kind": "card", "days": 3, "months": 1}],
        [{"label": "Card", "kind": "card", "days": -1}],
        [{"label": "Card", "kind": "card", "months": True}],
        [{"label": "Card", "kind": "card", "days": 3, "when": "soon"}],
    ],
)
def test_an_unusable_schedule_is_refused_in_plain_words(value):
    problems = bereavement_schedule_problems(value)
    assert problems and all(p[0].isupper() for p in problems)
    with pytest.raises(ValidationError):
        program_create(name="Bad", slug="bad", settings={"bereavement_schedule": value})


def test_the_default_schedule_is_usable():
    from pallio.programs.models import DEFAULT_PROGRAM_SETTINGS

    assert bereavement_schedule_problems(DEFAULT_PROGRAM_SETTINGS["bereavement_schedule"]) == []


def test_no_family_on_record_asks_the_social_worker_to_add_one(world, frozen):
    follow_up = bereaved(world, world.bob, died_at=DIED, family=False)
    task = Task.objects.get(patient=world.bob, title=ADD_FAMILY_TASK)
    assert task.discipline == "social_worker" and task.status == "open"
    assert follow_up.contacts.count() == 5


def test_another_programs_staff_cannot_open_a_follow_up(world, frozen):
    with pytest.raises(ValidationError):
        bereavement_open(actor=world.hillside_nurse, patient=world.alice, died_at=DIED)
    assert not BereavementFollowUp.objects.exists()


def test_a_death_in_the_future_is_refused(world, frozen):
    add_family(world, world.alice)
    with pytest.raises(ValidationError, match="future"):
        bereavement_open(
            actor=world.physician, patient=world.alice, died_at=datetime(2026, 3, 3, tzinfo=UTC)
        )
    assert not BereavementFollowUp.objects.exists()


def test_only_who_may_record_a_death_opens_the_follow_up(world, frozen):
    with pytest.raises(PrivilegeDenied):
        bereavement_open(actor=world.social_worker, patient=world.alice, died_at=DIED)
    assert not BereavementFollowUp.objects.exists()


# --- contacts -------------------------------------------------------------------------------


def test_a_contact_is_recorded_against_the_family_member(world, family):
    card, *_ = contacts_of(family)
    son = world.alice.healthcare_agents.get()
    done = record(world, card, kind="card", notes="Card signed by the team.")
    assert (done.status, done.caregiver, done.done_by, done.kind, done.outcome) == (
        "done",
        son,
        world.social_worker,
        "card",
        "reached",
    )
    assert done.done_on == date(2026, 3, 1)
    family.refresh_from_db()
    assert family.status == "open"
    event = AuditEvent.objects.get(event="bereavement.contact")
    assert event.patient_id == world.alice.pk


def test_the_last_contact_closes_the_follow_up(world, family):
    for contact in contacts_of(family):
        record(world, contact, outcome="no_answer" if contact.sequence == 2 else "reached")
    family.refresh_from_db()
    assert family.status == "closed" and family.closed_at == NOON


def test_a_family_that_declines_closes_the_follow_up(world, family):
    card, call, *later = contacts_of(family)
    record(world, card, kind="card")
    record(world, call, outcome="declined", notes="Asked not to be called again.")
    family.refresh_from_db()
    assert family.status == "declined"
    assert {c.status for c in BereavementContact.objects.filter(pk__in=[c.pk for c in later])} == {
        "cancelled"
    }
    with pytest.raises(ValidationError, match="closed"):
        record(world, later[0])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"done_on": date(2026, 3, 3)}, "done_on"),  # tomorrow in Boston
        ({"done_on": date(2026, 1, 29)}, "done_on"),  # before the death
        ({"kind": "telegram"}, "kind"),
        ({"outcome": "maybe"}, "outcome"),
        ({"notes": "x" * 2001}, "notes"),
        ({"notes": "nul\x00"}, "notes"),
    ],
)
def test_bad_contact_input_is_refused_and_changes_nothing(world, family, change, field):
    card = contacts_of(family)[0]
    with pytest.raises(ValidationError) as refused:
        record(world, card, **change)
    assert field in refused.value.message_dict
    card.refresh_from_db()
    assert card.status == "due" and card.done_on is None
    assert not AuditEvent.objects.filter(event="bereavement.contact").exists()


def test_another_patients_family_member_is_refused(world, family):
    stranger = add_family(world, world.bob, name="Sara Stranger")
    card = contacts_of(family)[0]
    with pytest.raises(ValidationError) as refused:
        record(world, card, caregiver=stranger)
    assert refused.value.message_dict["caregiver"] == ["Choose a family member of this patient."]
    card.refresh_from_db()
    assert card.status == "due"


def test_a_contact_is_recorded_once(world, family):
    card = contacts_of(family)[0]
    record(world, card)
    with pytest.raises(ValidationError, match="already"):
        record(world, BereavementContact.objects.get(pk=card.pk))


def test_a_volunteer_may_not_record_a_contact(world, family):
    volunteer = make_staff(world.riverside, "vic", "clinician", "volunteer", "Vic", "Volunteer")
    card = contacts_of(family)[0]
    with pytest.raises(PrivilegeDenied, match="may not"):
        record(world, card, actor=volunteer)
    card.refresh_from_db()
    assert card.status == "due"


# --- the grief risk screen (the program's own) ----------------------------------------------


def test_the_screen_is_the_programs_own_and_says_so():
    screen = risk_screen()
    assert "program's own" in screen.title and "not a validated instrument" in screen.about
    assert 1 <= screen.cut_off <= len(screen.items)


def test_the_screen_scores_one_point_a_yes_against_the_cut_off(world, family):
    screen = risk_screen()
    keys = [item.key for item in screen.items]
    below = dict.fromkeys(keys[: screen.cut_off - 1], True)
    follow_up = bereavement_screen_record(
        actor=world.social_worker, follow_up=family, answers=below
    )
    assert follow_up.risk_score == screen.cut_off - 1 and follow_up.risk_high is False
    at = dict.fromkeys(keys[: screen.cut_off], True)
    follow_up = bereavement_screen_record(actor=world.social_worker, follow_up=family, answers=at)
    assert follow_up.risk_score == screen.cut_off and follow_up.risk_high is True
    assert set(follow_up.risk_answers) == set(keys)
    # The earlier screen stays in the history.
    assert follow_up.history.filter(risk_score=screen.cut_off - 1).exists()


def test_an_unknown_screen_question_is_refused(world, family):
    with pytest.raises(ValidationError):
        bereavement_screen_record(
            actor=world.social_worker, follow_up=family, answers={"made_up": True}
        )
    family.refresh_from_db()
    assert family.screened_at is None


# --- referrals -------------------------------------------------------------------------------


def test_a_referral_records_who_when_and_where_to(world, family):
    son = world.alice.healthcare_agents.get()
    referral = bereavement_refer(
        actor=world.social_worker,
        follow_up=family,
        caregiver=son,
        service="support_group",
        referred_to="  Riverside hospice Tuesday evening group ",
        referred_on=date(2026, 3, 2),
    )
    assert (referral.caregiver, referral.referred_by, referral.referred_to) == (
        son,
        world.social_worker,
        "Riverside hospice Tuesday evening group",
    )
    assert AuditEvent.objects.filter(event="bereavement.refer").exists()


def test_a_referral_without_where_to_is_refused(world, family):
    with pytest.raises(ValidationError) as refused:
        bereavement_refer(
            actor=world.social_worker,
            follow_up=family,
            caregiver=world.alice.healthcare_agents.get(),
            service="counselling",
            referred_to=" ",
            referred_on=date(2026, 3, 4),
        )
    assert set(refused.value.message_dict) == {"referred_to", "referred_on"}
    assert not BereavementReferral.objects.exists()


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert bereavement.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert bereavement.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert bereavement.add_months(date(2026, 11, 15), 13) == date(2027, 12, 15)
    assert bereavement.add_months(date(2026, 5, 31), 0) == date(2026, 5, 31)

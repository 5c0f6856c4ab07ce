"""Changing a program's settings (programs.services.program_update_settings): only its
administrator may; every bad value is named and nothing is saved; each change is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.support.personas import make_staff

from pallio.accounts.models import Role
from pallio.audit.models import AuditEvent
from pallio.programs.forms import codes_parse, codes_show
from pallio.programs.models import DEFAULT_PROGRAM_SETTINGS, Program
from pallio.programs.services import program_update_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    return make_staff(world.riverside, "ada", Role.PROGRAM_ADMIN, "administration", "Ada", "Admin")


def _fresh(program: Program) -> Program:
    return Program.objects.get(pk=program.pk)


def test_the_administrator_changes_the_time_zone_and_a_clock_rule(world, admin):
    changed = program_update_settings(
        actor=admin,
        program=world.riverside,
        changes={
            "timezone": "America/Denver",
            "summary_due_days": 3,
            "first_contact_days": {"urgent": 1, "soon": 2, "routine": 5},
        },
    )
    assert changed == ["first_contact_days", "summary_due_days", "timezone"]
    program = _fresh(world.riverside)
    assert program.timezone == "America/Denver"
    assert program.setting("summary_due_days") == 3
    assert program.setting("first_contact_days") == {"urgent": 1, "soon": 2, "routine": 5}
    event = AuditEvent.objects.get(event="program.settings_change")
    assert event.username == "ada" and event.program_id == program.pk
    assert event.detail["changed"] == changed
    assert event.detail["before"]["timezone"] == "America/New_York"
    assert event.detail["after"]["summary_due_days"] == 3


def test_saving_the_same_values_changes_nothing_and_records_nothing(world, admin):
    changes = {"name": world.riverside.name, "summary_due_days": 2}
    assert program_update_settings(actor=admin, program=world.riverside, changes=changes) == []
    assert not AuditEvent.objects.filter(event="program.settings_change").exists()


@pytest.mark.parametrize(
    "who", ["coordinator", "director", "oncall", "navigator", "physician", "privacy"]
)
def test_every_other_role_is_refused(world, who):
    with pytest.raises(PermissionDenied):
        program_update_settings(
            actor=getattr(world, who), program=world.riverside, changes={"summary_due_days": 9}
        )
    assert "summary_due_days" not in _fresh(world.riverside).settings


def test_an_administrator_of_another_program_is_refused(world):
    hillside_admin = make_staff(
        world.hillside, "hank", Role.PROGRAM_ADMIN, "administration", "Hank", "Hill"
    )
    with pytest.raises(PermissionDenied):
        program_update_settings(
            actor=hillside_admin, program=world.riverside, changes={"name": "Taken over"}
        )
    assert _fresh(world.riverside).name == "Riverside Palliative Care"


BAD_CHANGES = [
    ("timezone", "Mars/Olympus_Mons", "is not a time zone we know"),
    ("timezone", "", "is not a time zone we know"),
    ("name", "  ", "Give the program a name."),
    ("phone", "call us", "not a phone number"),
    ("email", "nobody@", "valid email"),
    ("serious_illness_icd10_prefixes", {"cancer": ["C34", "X99.9"]}, "not in the coded catalogue"),
    ("serious_illness_icd10_prefixes", {"cancer": ["lung"]}, "not an ICD-10-CM code"),
    ("serious_illness_icd10_prefixes", {"martian_flu": ["C34"]}, "not a serious-illness group"),
    ("first_contact_days", {"urgent": 5, "soon": 3, "routine": 7}, "no later than"),
    ("first_contact_days", {"urgent": 1}, "urgent, soon and routine"),
    ("summary_due_days", -1, "whole number"),
    ("summary_due_days", None, "whole number"),
    ("advanced_cancer_weeks", True, "whole number"),
    ("child_max_age", 40, "whole number"),
    ("young_adult_ages", [39, 15], "lower to a higher"),
    ("default_reporting_cadence", "hourly", "choose one of the options"),
    ("default_team_disciplines", ["wizard"], "from the list"),
    ("alert_on_call_username", "nobody-here", "from the program's staff"),
    ("alert_on_call_username", "hope", "from the program's staff"),  # Hillside's nurse
    ("clinical_privileges", {"code_status.change": {"roles": ["privacy_officer"]}}, "only remove"),
    ("bereavement_schedule", [], "between 1 and 20"),
    ("adt_icu_units", ["ICU", "<script>"], "is not a unit code"),
    ("letter_texts", {"received": ""}, "write the text"),
    ("letter_texts", {"nonsense": "Hello"}, "by letter"),
    ("letter_texts", {"accepted": "x" * 1001}, "under 1000"),
    ("no_such_setting", 1, "not a program setting"),
]


@pytest.mark.parametrize(("key", "value", "words"), BAD_CHANGES, ids=lambda v: str(v)[:30])
def test_every_bad_value_is_named_and_nothing_changes(world, admin, key, value, words):
    before = _fresh(world.riverside)
    # A good change alongside the bad one: it must not be saved either.
    good = {"summary_due_days": 5} if key != "summary_due_days" else {"name": "Renamed"}
    with pytest.raises(ValidationError) as raised:
        program_update_settings(actor=admin, program=world.riverside, changes={**good, key: value})
    messages = " ".join(raised.value.message_dict[key])
    assert words in messages
    after = _fresh(world.riverside)
    assert (after.name, after.timezone, after.phone, after.email, after.settings) == (
        before.name,
        before.timezone,
        before.phone,
        before.email,
        before.settings,
    )
    assert not AuditEvent.objects.filter(event="program.settings_change").exists()


def test_problems_never_name_a_setting_by_its_key(world, admin):
    bad = {key: object() for key in DEFAULT_PROGRAM_SETTINGS}
    with pytest.raises(ValidationError) as raised:
        program_update_settings(actor=admin, program=world.riverside, changes=bad)
    for key, messages in raised.value.message_dict.items():
        assert key in DEFAULT_PROGRAM_SETTINGS
        for message in messages:
            assert key not in message, message


def test_a_good_code_set_from_the_catalogue_is_saved(world, admin):
    program_update_settings(
        actor=admin,
        program=world.riverside,
        changes={"serious_illness_icd10_prefixes": {"cancer": ["C34", "C50"], "kidney": ["N18.5"]}},
    )
    sets = _fresh(world.riverside).setting("serious_illness_icd10_prefixes")
    assert sets == {"cancer": ["C34", "C50"], "kidney": ["N18.5"]}


def test_new_episodes_start_at_the_programs_default_reporting_cadence(world, admin):
    from datetime import date

    from pallio.episodes.services import episode_open

    program_update_settings(
        actor=admin, program=world.riverside, changes={"default_reporting_cadence": "fortnightly"}
    )
    bob = type(world.bob).objects.get(pk=world.bob.pk)
    episode = episode_open(actor=None, patient=bob, first_visit_due=date(2026, 1, 1))
    assert episode.reporting_cadence == "fortnightly"


def test_codes_are_read_and_shown_as_people_write_them():
    assert codes_parse("c00 - c03, I50\nJ96.1;  K72") == [
        "C00",
        "C01",
        "C02",
        "C03",
        "I50",
        "J96.1",
        "K72",
    ]
    assert codes_parse("C00\u2013C96")[-1] == "C96"
    assert codes_show([f"C{n:02d}" for n in range(97)] + ["I50", "I61", "I63"]) == (
        "C00\u2013C96, I50, I61, I63"
    )

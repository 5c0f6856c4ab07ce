"""`pallio adt listen` and the program's ICU unit codes setting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from pallio.adt.services import icu_units, icu_units_problems
from pallio.programs.services import program_create

pytestmark = pytest.mark.django_db


def test_listen_needs_a_program_that_exists(world):
    with pytest.raises(CommandError, match="No program with the slug 'nowhere'"):
        call_command("adt", "listen", "--program", "nowhere", "--port", "0")


def test_listen_refuses_a_port_out_of_range(world):
    with pytest.raises(CommandError, match="between 0 and 65535"):
        call_command("adt", "listen", "--program", "riverside", "--port", "70000")


def test_listen_refuses_an_allowed_sender_that_is_not_an_address(world):
    with pytest.raises(CommandError, match=r"'hospital\.example\.org' is not an IP address"):
        call_command("adt", "listen", "--program", "riverside", "--allow", "hospital.example.org")


def test_icu_units_default_and_override(world):
    assert "MICU" in icu_units(world.riverside)
    world.riverside.settings = {"adt_icu_units": ["4-ICU"]}
    assert icu_units(world.riverside) == ["4-ICU"]


def test_bad_icu_unit_codes_are_refused_in_plain_words():
    assert icu_units_problems("ICU") == [
        'adt_icu_units: give a list of unit codes, e.g. ["ICU", "MICU"].'
    ]
    assert icu_units_problems(["ICU", "<script>"]) == [
        "adt_icu_units: '<script>' is not a unit code."
    ]
    with pytest.raises(ValidationError):
        program_create(name="Bad", slug="bad", settings={"adt_icu_units": [1]})

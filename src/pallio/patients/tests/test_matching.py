"""Duplicate-patient detection: what the coordinator is shown for each kind of near-miss."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pallio.patients.matching import (
    MATCH_THRESHOLD,
    Person,
    birth_date_similarity,
    blocking_birth_dates,
    match,
)
from pallio.patients.selectors import duplicate_candidates
from pallio.patients.services import PatientIdentity, patient_create

BORN = date(1948, 3, 7)


def is_candidate(a: Person, b: Person) -> bool:
    return match(a, b).score >= MATCH_THRESHOLD


# Each kind of variation between a referral and the patient already on file.


@pytest.mark.parametrize(
    ("referred", "on_file", "reason"),
    [
        ("Bill", "William", "first name Bill / William: a nickname"),
        ("Peggy", "Margaret", "first name Peggy / Margaret: a nickname"),
        ("Peggy", "Maggie", "first name Peggy / Maggie: a nickname"),
    ],
)
def test_nicknames_are_the_same_first_name(referred, on_file, reason):
    result = match(Person(referred, "Anders", BORN), Person(on_file, "Anders", BORN))
    assert result.score >= MATCH_THRESHOLD
    assert reason in result.reasons
    assert "same date of birth" in result.reasons


def test_accents_are_ignored():
    result = match(Person("Jose", "Nunez", BORN), Person("José", "Núñez", BORN))
    assert result.score == 1.0
    assert result.reasons == ["same name and date of birth"]


def test_german_and_polish_letters_fold_to_their_plain_spelling():
    assert is_candidate(Person("Jurgen", "Gross", BORN), Person("Jürgen", "Groß", BORN))
    assert is_candidate(Person("Lukasz", "Walesa", BORN), Person("Łukasz", "Wałęsa", BORN))


@pytest.mark.parametrize(
    ("referred", "on_file"),
    [
        ("Garcia", "García López"),
        ("Jones", "Smith-Jones"),
        ("Garcia-Lopez", "García López"),
        ("Delacruz", "de la Cruz"),
        ("OBrien", "O'Brien"),
    ],
)
def test_double_hyphenated_and_prefixed_family_names(referred, on_file):
    result = match(Person("Rosa", referred, BORN), Person("Rosa", on_file, BORN))
    assert result.score >= MATCH_THRESHOLD


def test_part_of_a_double_family_name_is_explained():
    result = match(Person("Rosa", "Jones", BORN), Person("Rosa", "Smith-Jones", BORN))
    assert "family name is part of a double or hyphenated name" in result.reasons


def test_a_short_family_name_inside_a_longer_one_is_not_a_double_name():
    assert not is_candidate(Person("Ann", "Li", BORN), Person("Ann", "Williams", BORN))


def test_typo_in_the_family_name():
    result = match(Person("Harold", "Andesron", BORN), Person("Harold", "Anderson", BORN))
    assert result.score >= MATCH_THRESHOLD
    assert "family name spelt differently (Andesron / Anderson)" in result.reasons


def test_first_and_last_names_swapped():
    result = match(Person("Anders", "William", BORN), Person("William", "Anders", BORN))
    assert result.score >= MATCH_THRESHOLD
    assert "first and last names swapped" in result.reasons


@pytest.mark.parametrize(
    ("referred_born", "reason"),
    [
        (date(1948, 7, 3), "day and month of birth swapped"),
        (date(1984, 3, 7), "birth year digits transposed"),
        (date(1948, 3, 6), "dates of birth one day apart"),
        (date(1948, 3, 9), "one digit of the date of birth differs"),
        (date(1958, 3, 7), "one digit of the date of birth differs"),
        (date(1949, 3, 7), "birth years one apart"),
        (date(1950, 3, 7), None),
    ],
)
def test_date_of_birth_slips(referred_born, reason):
    on_file = Person("Ruth", "Ellis", BORN)
    result = match(Person("Ruth", "Ellis", referred_born), on_file)
    if reason is None:
        assert result.score < MATCH_THRESHOLD
    else:
        assert result.score >= MATCH_THRESHOLD
        assert reason in result.reasons


def test_one_day_apart_across_the_end_of_a_month():
    result = match(
        Person("Ruth", "Ellis", date(1948, 2, 29)), Person("Ruth", "Ellis", date(1948, 3, 1))
    )
    assert result.score >= MATCH_THRESHOLD
    assert "dates of birth one day apart" in result.reasons


def test_birth_years_one_apart_across_a_decade():
    result = match(
        Person("Ruth", "Ellis", date(1950, 3, 7)), Person("Ruth", "Ellis", date(1949, 3, 7))
    )
    assert "birth years one apart" in result.reasons


def test_same_phone_spelt_differently_with_another_spelling_of_the_name():
    result = match(
        Person("Catherine", "Reed", BORN, "(617) 555-0123"),
        Person("Katherine", "Reid", BORN, "+16175550123"),
    )
    assert result.score >= MATCH_THRESHOLD
    assert "same phone number" in result.reasons
    assert "first name spelt differently (Catherine / Katherine)" in result.reasons


def test_middle_name_in_the_first_name_field():
    result = match(
        Person("Mary Ann", "Kelly", BORN), Person("Mary", "Kelly", BORN, middle_name="Ann")
    )
    assert result.score >= MATCH_THRESHOLD
    assert "middle name on one record only or different" in result.reasons


def test_known_by_the_middle_name():
    result = match(
        Person("Robert", "Kelly", BORN), Person("James", "Kelly", BORN, middle_name="Robert")
    )
    assert result.score >= MATCH_THRESHOLD
    assert "goes by the middle name on one record" in result.reasons


def test_non_latin_names_match_themselves_across_a_date_slip():
    result = match(Person("伟", "王", date(1948, 7, 3)), Person("伟", "王", BORN))
    assert result.score >= MATCH_THRESHOLD
    assert "day and month of birth swapped" in result.reasons


def test_different_non_latin_names_on_the_same_date_are_different_people():
    assert not is_candidate(Person("伟", "王", BORN), Person("娜", "李", BORN))
    assert not is_candidate(Person("Иван", "Петров", BORN), Person("Ольга", "Смирнова", BORN))


def test_family_name_changed_with_the_same_phone_is_shown_with_the_reason():
    result = match(
        Person("Michelle", "Davis", BORN, "+16175550123"),
        Person("Michelle", "Brown", BORN, "+16175550123"),
    )
    assert result.score >= MATCH_THRESHOLD
    assert result.reasons == [
        "same first name, date of birth and phone; family name differs (Davis / Brown)"
    ]


# People who look alike on paper but are not the same person.


def test_twins_sharing_a_phone_and_birth_date_are_not_candidates():
    phone = "+16175550123"
    assert not is_candidate(
        Person("Mary", "Olsen", BORN, phone), Person("Elizabeth", "Olsen", BORN, phone)
    )


def test_twins_with_names_a_letter_apart_are_told_apart_by_sex():
    daniel = Person("Daniel", "Olsen", BORN, "+16175550123", sex="male")
    daniela = Person("Daniela", "Olsen", BORN, "+16175550123", sex="female")
    assert not is_candidate(daniel, daniela)


def test_spouses_sharing_a_phone_are_not_candidates():
    phone = "+16175550123"
    assert not is_candidate(
        Person("Harold", "Olsen", BORN, phone), Person("Margaret", "Olsen", date(1951, 6, 2), phone)
    )


def test_common_name_with_another_birth_date_is_not_a_candidate():
    assert not is_candidate(
        Person("John", "Smith", BORN, "+16175550123"),
        Person("John", "Smith", date(1962, 8, 30), "+16175550199"),
    )


def test_father_and_son_marked_jr_and_sr_are_not_candidates():
    phone = "+16175550123"
    assert not is_candidate(
        Person("John", "Smith Jr.", date(1975, 5, 1), phone),
        Person("John", "Smith Sr.", BORN, phone),
    )
    assert not is_candidate(
        Person("John", "Smith Jr", date(1975, 5, 1), phone), Person("John", "Smith", BORN, phone)
    )


def test_same_name_and_phone_with_a_wrong_birth_date_is_shown_last():
    result = match(
        Person("Ruth", "Ellis", date(1971, 10, 20), "+16175550123"),
        Person("Ruth", "Ellis", BORN, "+16175550123"),
    )
    assert result.score == MATCH_THRESHOLD
    assert "same name and phone, dates of birth differ" in result.reasons


# Properties over arbitrary people.

names = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo")), min_size=1, max_size=12)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
phones = st.sampled_from(["", "+16175550123", "+16175550199", "(617) 555-0123"])
sexes = st.sampled_from(["", "female", "male", "unknown"])
people = st.builds(
    Person,
    given_name=names,
    family_name=names,
    birth_date=dates,
    phone=phones,
    middle_name=st.one_of(st.just(""), names),
    sex=sexes,
)


@settings(max_examples=300, deadline=None)
@given(people, people)
def test_score_is_symmetric(a, b):
    assert match(a, b).score == match(b, a).score


@settings(max_examples=300, deadline=None)
@given(people)
def test_a_person_always_matches_themselves(a):
    result = match(a, a)
    assert result.score == 1.0
    assert result.reasons[0] == "same name and date of birth"


@settings(max_examples=200, deadline=None)
@given(people, dates)
def test_swapping_day_and_month_still_matches(a, born):
    assume(born.day <= 12 and born.day != born.month)
    swapped = date(born.year, born.day, born.month)
    on_file = Person(a.given_name, a.family_name, born, a.phone, a.middle_name, a.sex)
    referred = Person(a.given_name, a.family_name, swapped, a.phone, sex=a.sex)
    result = match(referred, on_file)
    assert result.score >= MATCH_THRESHOLD
    assert "day and month of birth swapped" in result.reasons


@settings(max_examples=300, deadline=None)
@given(dates, dates)
def test_blocking_fetches_every_birth_date_the_matcher_would_accept(a, b):
    if birth_date_similarity(a, b)[0] > 0:
        assert b in blocking_birth_dates(a)
        assert a in blocking_birth_dates(b)


@settings(max_examples=200, deadline=None)
@given(dates, st.sampled_from([-1, 1]))
def test_one_day_off_is_always_blocked_and_recognised(born, step):
    assume(date(1900, 1, 2) <= born <= date(2025, 12, 30))
    other = born + timedelta(days=step)
    assert other in blocking_birth_dates(born)
    assert birth_date_similarity(born, other)[0] > 0


# The database side: the candidates a coordinator sees on a referral.


def add_patient(program, given_name, family_name, born, phone="", **extra):
    return patient_create(
        actor=None,
        program=program,
        identity=PatientIdentity(
            given_name=given_name, family_name=family_name, birth_date=born, phone=phone, **extra
        ),
    )


def candidates_for(program, given_name, family_name, born, phone=""):
    return duplicate_candidates(
        program_id=program.pk,
        given_name=given_name,
        family_name=family_name,
        birth_date=born,
        phone=phone,
    )


def test_referral_for_bill_with_day_and_month_swapped_finds_william(world):
    william = add_patient(world.riverside, "William", "Anders", date(1950, 4, 11))
    found = candidates_for(world.riverside, "Bill", "Anders", date(1950, 11, 4))
    assert [patient for patient, _ in found] == [william]
    reasons = found[0][1].reasons
    assert "first name Bill / William: a nickname" in reasons
    assert "day and month of birth swapped" in reasons


def test_a_patient_of_another_program_is_never_returned(world):
    hana = world.hana
    found = candidates_for(
        world.riverside, hana.given_name, hana.family_name, hana.birth_date, hana.phone
    )
    assert found == []
    add_patient(world.hillside, "William", "Anders", BORN)
    assert candidates_for(world.riverside, "William", "Anders", BORN) == []
    assert [p.pk for p, _ in candidates_for(world.hillside, "Bill", "Anders", BORN)] != []


def test_same_name_other_birth_date_and_phone_is_not_a_candidate(world):
    alice = world.alice
    found = candidates_for(world.riverside, "Alice", "Anders", date(1972, 9, 25), "+16175550999")
    assert alice not in [patient for patient, _ in found]
    assert found == []


def test_existing_patient_found_through_the_phone_when_the_birth_date_is_wrong(world):
    alice = world.alice
    found = candidates_for(world.riverside, "Alice", "Anders", date(1972, 9, 25), alice.phone)
    assert [patient for patient, _ in found] == [alice]
    assert "same name and phone, dates of birth differ" in found[0][1].reasons


def test_patient_known_by_a_middle_name_on_file_is_found(world):
    james = add_patient(world.riverside, "James", "Kelly", BORN, middle_name="Robert")
    found = candidates_for(world.riverside, "Robert", "Kelly", BORN)
    assert [patient for patient, _ in found] == [james]


def test_residents_sharing_a_care_home_phone_do_not_hide_the_real_duplicate(world):
    home = "+16175550400"
    for i in range(12):
        add_patient(world.riverside, f"Resident{i}", "Other", date(1930, 1, 1 + i), home)
    ruth = add_patient(world.riverside, "Ruth", "Ellis", BORN, home)
    found = candidates_for(world.riverside, "Ruth", "Elis", date(1948, 7, 3), home)
    assert [patient for patient, _ in found] == [ruth]


def test_patients_entered_in_error_are_not_candidates(world):
    mistaken = add_patient(world.riverside, "Ruth", "Ellis", BORN)
    mistaken.entered_in_error = True
    mistaken.save()
    assert candidates_for(world.riverside, "Ruth", "Ellis", BORN) == []

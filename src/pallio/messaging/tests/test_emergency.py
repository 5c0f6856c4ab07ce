"""The emergency wording rules (data/emergency_rules.json), family by family, in English and
Spanish, and what they deliberately do not count."""

from __future__ import annotations

import json

import pytest

from pallio.messaging.emergency import RULES_FILE, emergency_findings, rules_parse


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("My pain is 9 out of 10 tonight", "severe_pain"),
        ("Pain 10/10 since lunch", "severe_pain"),
        ("10/10 pain in my back", "severe_pain"),
        ("The worst pain I have ever had", "severe_pain"),
        ("Tengo un dolor de 9", "severe_pain"),
        ("El dolor es insoportable", "severe_pain"),
        ("I can't breathe", "breathing"),
        ("She can\u2019t breathe properly", "breathing"),  # a curly apostrophe
        ("He is gasping for air", "breathing"),
        ("No puedo respirar bien", "breathing"),
        ("There is bleeding from the wound", "bleeding"),
        ("He is coughing up blood", "bleeding"),
        ("Está sangrando mucho", "bleeding"),
        ("Mom fell in the bathroom", "fall"),
        ("I had a fall this morning", "fall"),
        ("Me caí en la cocina", "fall"),
        ("Se cayó de la cama", "fall"),
        ("Some days I want to die", "self_harm"),
        ("I have thought about suicide", "self_harm"),
        ("I want to kill myself", "self_harm"),
        ("Quiero morir", "self_harm"),
        ("He pensado en quitarme la vida", "self_harm"),
    ],
)
def test_each_family_matches_its_wording(text, family):
    assert family in emergency_findings(text)


@pytest.mark.parametrize(
    "text",
    [
        "No bleeding today, the dressing is dry",
        "There was not any bleeding",
        "I did not fall, I sat down",
        "He has not fallen since the new walker",
        "I have had pain for 10 days",
        "Pain medicine at 10:30 helps",
        "Could we move Thursday's visit to 9?",
        "Análisis de sangre el lunes",
        "Sin sangrado desde ayer",
        "Thank you for the new pillows",
    ],
)
def test_ordinary_messages_and_negated_words_do_not_match(text):
    assert emergency_findings(text) == []


def test_self_harm_and_breathing_are_never_negated():
    # Saying "not" near these words is no reassurance: a clinician reads them anyway.
    assert emergency_findings("I don't want to hurt myself but I think about it") == ["self_harm"]
    assert emergency_findings("I can not breathe") == ["breathing"]


def test_several_families_are_named_in_the_rules_order():
    assert emergency_findings("Dad fell and now there is bleeding from his head") == [
        "bleeding",
        "fall",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "bleading a lot",  # misspelt beyond the listed forms
        "there is red everywhere on the sheets",  # no listed word
        "pain is eight and a half",  # numbers in words other than nine and ten
        "ich kann nicht atmen",  # other languages
    ],
)
def test_what_the_rules_do_not_catch(text):
    """Documented gaps: the page still tells every sender to call in an emergency."""
    assert emergency_findings(text) == []


def test_the_shipped_rules_compile_and_a_bad_pattern_is_named():
    data = json.loads(RULES_FILE.read_text("utf-8"))
    assert {f.key for f in rules_parse(data).families} == {
        "severe_pain",
        "breathing",
        "bleeding",
        "fall",
        "self_harm",
    }
    data["families"][0]["patterns"].append("(unclosed")
    with pytest.raises(ValueError, match="severe_pain"):
        rules_parse(data)

"""Instruments are data: the shipped Questionnaires load, validate as FHIR R4, and score at
their boundaries as their cited sources say."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from fhir.resources.R4B.questionnaire import Questionnaire
from hypothesis import given
from hypothesis import strategies as st

from pallio.assessments import instruments as inst
from pallio.assessments.models import AlertRule, Instrument
from pallio.assessments.services import instruments_sync_shipped
from pallio.assessments.tests.helpers import ESAS_ITEMS, esas, phq, shipped, spec

SHIPPED_KEYS = {
    "esas-r",
    "phq-4",
    "akps",
    "ecog",
    "karnofsky",
    "pps",
    "ppi",
    "pap",
    "nyha",
    "fast",
    "distress-thermometer",
    "spiritual-history",
    "caregiver-needs",
    "home-safety",
    "asq",
}


def options(s: inst.InstrumentSpec, link_id: str) -> tuple[inst.Option, ...]:
    item = s.item(link_id)
    assert item is not None
    return item.options


def scored(key: str, answers: dict) -> inst.ScoreResult:
    s = spec(key)
    return inst.score(s, inst.clean_answers(s, answers))


def test_every_shipped_instrument_is_a_valid_fhir_questionnaire_with_licence_and_citation():
    names = {name.removesuffix(".json") for name, _ in inst.shipped_questionnaires()}
    assert names == SHIPPED_KEYS
    for key in SHIPPED_KEYS:
        q = shipped(key)
        Questionnaire.model_validate(q)
        s = inst.spec_from_questionnaire(q)
        assert s.key == key
        assert s.citation.strip() and s.licence_terms and q["copyright"]
        assert s.scales, key


def test_licensed_text_is_not_shipped_where_the_licence_forbids_it():
    pps = spec("pps")
    assert not pps.wording_included
    assert [o.display for o in options(pps, "pps")] == [f"{v}%" for v in range(100, -1, -10)]
    dt = spec("distress-thermometer")
    assert {o.code for o in options(dt, "problems")} == {
        "physical",
        "practical",
        "family",
        "emotional",
        "spiritual",
    }
    assert all(o.display.startswith("Stage") for o in options(spec("fast"), "fast"))


@pytest.mark.django_db
def test_instruments_and_default_rules_are_loaded_on_migrate():
    assert set(Instrument.objects.filter(program__isnull=True).values_list("key", flat=True)) == (
        SHIPPED_KEYS
    )
    assert AlertRule.objects.filter(program__isnull=True, key="esas-severe").exists()
    assert instruments_sync_shipped() == (0, 0)  # reloading changes nothing


# --- ESAS-r: each item 0 none, 1-3 mild, 4-6 moderate, 7-10 severe; total 0-90 -----------


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "None"),
        (1, "Mild"),
        (3, "Mild"),
        (4, "Moderate"),
        (6, "Moderate"),
        (7, "Severe"),
        (10, "Severe"),
    ],
)
def test_esas_item_bands_at_their_boundaries(value, band):
    result = scored("esas-r", esas(pain=value))
    assert result.item_bands["pain"] == band
    assert (result.item_severities.get("pain") == "severe") == (value >= 7)


@given(st.lists(st.integers(0, 10), min_size=9, max_size=9))
def test_esas_total_is_the_sum_of_the_nine_items(values):
    result = scored("esas-r", dict(zip(ESAS_ITEMS, values, strict=True)))
    assert result.scales["total"] == sum(values)
    assert 0 <= (result.scales["total"] or 0) <= 90


@pytest.mark.parametrize("bad", [-1, 11, 2.5, "seven", True])
def test_esas_out_of_range_or_non_numbers_are_refused_with_a_message(bad):
    with pytest.raises(ValidationError) as error:
        inst.clean_answers(spec("esas-r"), esas(pain=bad))
    assert "pain" in error.value.message_dict


def test_unknown_items_are_refused_and_an_empty_report_is_refused():
    with pytest.raises(ValidationError) as error:
        inst.clean_answers(spec("esas-r"), {**esas(), "itching": 4})
    assert "has no item 'itching'" in str(error.value)
    with pytest.raises(ValidationError) as error:
        inst.clean_answers(spec("esas-r"), {"pain": None, "nausea": ""})
    assert "Answer at least one item" in error.value.message_dict["answers"][0]


def test_a_report_with_a_blank_item_is_kept_and_scored_on_what_was_answered():
    s = spec("esas-r")
    answers = esas(pain=10)
    del answers["nausea"]
    clean = inst.clean_answers(s, answers)
    assert inst.unanswered(s, clean) == ["nausea"]
    result = inst.score(s, clean)
    assert result.item_bands["pain"] == "Severe" and result.item_severities["pain"] == "severe"
    assert "nausea" not in result.item_values
    # The total is not a smaller number that would read as an improvement: it is marked
    # incomplete, with the sum of the eight answered items kept apart.
    assert result.scales["total"] is None and result.incomplete == ["total"]
    assert result.answered_sums["total"] == 10
    assert inst.unanswered(s, inst.clean_answers(s, esas())) == []  # 'other' is optional


def test_the_optional_other_problem_does_not_change_the_total_but_is_banded():
    result = scored("esas-r", {**esas(pain=2), "other": 8, "other-name": "Constipation"})
    assert result.scales["total"] == 2
    assert result.item_bands["other"] == "Severe"


# --- PHQ-4: PHQ-2 / GAD-2 positive at 3; total 0-2 none, 3-5 mild, 6-8 moderate, 9-12 severe --


@pytest.mark.parametrize(
    ("a", "b", "positive"), [(1, 1, False), (2, 0, False), (2, 1, True), (0, 3, True), (3, 3, True)]
)
def test_phq2_and_gad2_screen_positive_from_3(a, b, positive):
    result = scored("phq-4", phq(a, b, a, b))
    assert result.scales["phq2"] == a + b == result.scales["gad2"]
    assert (result.severities.get("phq2") == "positive") is positive
    assert (result.severities.get("gad2") == "positive") is positive


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ((1, 1, 0, 0), "None"),
        ((1, 1, 1, 0), "Mild"),
        ((2, 1, 1, 1), "Mild"),
        ((2, 2, 1, 1), "Moderate"),
        ((2, 2, 2, 2), "Moderate"),
        ((3, 2, 2, 2), "Severe"),
        ((3, 3, 3, 3), "Severe"),
    ],
)
def test_phq4_total_bands_at_their_boundaries(answers, band):
    result = scored("phq-4", phq(*answers))
    assert result.scales["total"] == sum(answers)
    assert result.bands["total"] == band


def test_phq4_refuses_an_answer_code_that_is_not_on_the_form():
    with pytest.raises(ValidationError):
        inst.clean_answers(spec("phq-4"), {**phq(0, 0, 0, 0), "phq-1": "LA9999-9"})


# --- single-level scales ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "item", "levels"),
    [
        ("akps", "akps", range(0, 101, 10)),
        ("karnofsky", "kps", range(0, 101, 10)),
        ("pps", "pps", range(0, 101, 10)),
        ("ecog", "ecog", range(0, 6)),
    ],
)
def test_level_scales_score_their_level_and_nothing_else(key, item, levels):
    s = spec(key)
    assert [o.code for o in options(s, item)] == [
        str(v) for v in sorted(levels, reverse=key != "ecog")
    ]
    for level in levels:
        assert scored(key, {item: str(level)}).scales[s.scales[0].name] == level
    for bad in ("5", "105", "-10") if key != "ecog" else ("6", "-1"):
        with pytest.raises(ValidationError):
            inst.clean_answers(s, {item: bad})


def test_nyha_classes_order_i_to_iv():
    assert [scored("nyha", {"nyha": c}).scales["class"] for c in ("I", "II", "III", "IV")] == [
        1,
        2,
        3,
        4,
    ]


def test_fast_stages_order_correctly_and_stage_7_is_flagged():
    s = spec("fast")
    codes = [o.code for o in options(s, "fast")]
    values = [scored("fast", {"fast": c}).scales["stage"] or 0.0 for c in codes]
    assert values == sorted(values) and len(set(values)) == len(values) == 16
    assert scored("fast", {"fast": "6e"}).bands["stage"] == "Before stage 7"
    assert scored("fast", {"fast": "7a"}).bands["stage"] == "Stage 7 or beyond"


@pytest.mark.parametrize(("score", "flag"), [(0, False), (3, False), (4, True), (10, True)])
def test_distress_thermometer_calls_for_evaluation_from_4(score, flag):
    result = scored("distress-thermometer", {"score": score, "problems": ["family", "practical"]})
    assert (result.severities.get("score") == "positive") is flag


# --- PPI (Morita 1999) and PaP (Pirovano 1999) -----------------------------------------------

PPI_POINTS = {
    "pps": {"10-20": 4.0, "30-50": 2.5, "60+": 0},
    "oral-intake": {"severe": 2.5, "moderate": 1.0, "normal": 0},
    "edema": {"yes": 1.0, "no": 0},
    "dyspnea": {"yes": 3.5, "no": 0},
    "delirium": {"yes": 4.0, "no": 0},
}


def test_ppi_every_combination_scores_the_published_points_and_falls_in_one_band():
    s = spec("ppi")
    names = list(PPI_POINTS)
    for combo in itertools.product(*(PPI_POINTS[n].items() for n in names)):
        answers = {n: code for n, (code, _) in zip(names, combo, strict=True)}
        total = sum(points for _, points in combo)
        result = inst.score(s, inst.clean_answers(s, answers))
        assert result.scales["total"] == total
        band = result.bands["total"]
        if total > 6:
            assert band.startswith("PPI over 6")
        elif total > 4:
            assert band.startswith("PPI over 4")
        else:
            assert band == "PPI 4 or less"


PAP_POINTS: dict[str, dict[Any, float]] = {
    "dyspnea": {"yes": 1.0, "no": 0},
    "anorexia": {"yes": 1.5, "no": 0},
    "kps": {"30+": 0, "10-20": 2.5},
    "cps": {">12": 0, "11-12": 2.0, "7-10": 2.5, "5-6": 4.5, "3-4": 6.0, "1-2": 8.5},
    "wbc": {6.0: 0, 9.0: 0.5, 14.0: 1.5},
    "lymphocytes": {30.0: 0, 15.0: 1.0, 8.0: 2.5},
}


@given(st.fixed_dictionaries({n: st.sampled_from(sorted(p)) for n, p in PAP_POINTS.items()}))
def test_pap_groups_a_b_c_at_5_5_and_11(answers):
    total = sum(PAP_POINTS[n][c] for n, c in answers.items())
    result = scored("pap", answers)
    assert result.scales["total"] == total
    expected = "Group A" if total <= 5.5 else "Group B" if total <= 11 else "Group C"
    assert result.bands["total"].startswith(expected)


PAP_BASE = {
    "dyspnea": "no",
    "anorexia": "no",
    "kps": "30+",
    "cps": ">12",
    "wbc": 6.0,
    "lymphocytes": 30,
}


def test_pap_boundaries_exactly():
    base = PAP_BASE
    assert (
        scored("pap", {**base, "cps": "5-6", "dyspnea": "yes"}).bands["total"].startswith("Group A")
    )  # 5.5
    assert scored("pap", {**base, "cps": "3-4"}).bands["total"].startswith("Group B")  # 6
    assert (
        scored("pap", {**base, "cps": "1-2", "kps": "10-20"}).bands["total"].startswith("Group B")
    )  # 11
    assert (
        scored("pap", {**base, "cps": "1-2", "kps": "10-20", "wbc": 9})
        .bands["total"]
        .startswith("Group C")
    )  # 11.5


@pytest.mark.parametrize(
    ("wbc", "points"),
    [
        (0, 0),
        (3.1, 0),  # low counts score nothing (CLINICAL.md section 2)
        (8.5, 0),
        (8.51, 0.5),
        (8.55, 0.5),
        (8.6, 0.5),
        (11, 0.5),
        (11.01, 1.5),
        (40, 1.5),
    ],
)
def test_pap_white_cell_count_falls_in_exactly_one_band(wbc, points):
    assert scored("pap", {**PAP_BASE, "wbc": wbc}).item_values["wbc"] == points


@pytest.mark.parametrize(
    ("lymphocytes", "points"),
    [
        (0, 2.5),
        (11.9, 2.5),
        (11.99, 2.5),
        (12, 1),
        (19.9, 1),
        (19.95, 1),
        (20, 0),
        (40, 0),
        (55, 0),  # above 40% scores 0 too
    ],
)
def test_pap_lymphocyte_percentage_falls_in_exactly_one_band(lymphocytes, points):
    result = scored("pap", {**PAP_BASE, "lymphocytes": lymphocytes})
    assert result.item_values["lymphocytes"] == points


@given(st.floats(0, 500), st.floats(0, 100))
def test_every_pap_count_scores_in_exactly_one_band(wbc, lymphocytes):
    s = spec("pap")
    for link, value in (("wbc", wbc), ("lymphocytes", lymphocytes)):
        item = s.item(link)
        assert item is not None
        assert sum(band.holds(value) for band in item.points_bands) == 1


def _with_wbc_bands(*bands: dict) -> dict:
    q = copy.deepcopy(shipped("pap"))
    [wbc] = [i for i in q["item"] if i["linkId"] == "wbc"]
    wbc["extension"] = [e for e in wbc["extension"] if not e["url"].endswith("points-band")]
    for band in bands:
        wbc["extension"].append(
            {
                "url": inst.EXT_POINTS_BAND,
                "extension": [{"url": k, "valueDecimal": v} for k, v in band.items()]
                + [{"url": "label", "valueString": str(band)}],
            }
        )
    return q


@pytest.mark.parametrize(
    "bands",
    [
        # 8.5 in two bands (the old "4.8-8.5" / "8.5-11" options)
        ({"points": 0, "atMost": 8.5}, {"points": 0.5, "atLeast": 8.5}),
        # 8.55 in none (the "8.5" / "8.6-11" options as numbers)
        ({"points": 0, "atMost": 8.5}, {"points": 0.5, "atLeast": 8.6}),
        # nothing below 4.8
        ({"points": 0, "atLeast": 4.8, "atMost": 8.5}, {"points": 0.5, "above": 8.5}),
    ],
)
def test_points_bands_that_overlap_or_leave_a_gap_are_refused(bands):
    with pytest.raises(inst.InstrumentError):
        inst.spec_from_questionnaire(_with_wbc_bands(*bands))


def test_esas_items_carry_the_published_end_words():
    s = spec("esas-r")
    ends = {i.link_id: (i.anchor_low, i.anchor_high) for i in s.items if i.anchor_low}
    assert ends["pain"] == ("No pain", "Worst possible pain")
    assert ends["tiredness"] == ("No tiredness", "Worst possible tiredness")
    assert ends["drowsiness"] == ("No drowsiness", "Worst possible drowsiness")
    assert ends["appetite"] == ("No lack of appetite", "Worst possible lack of appetite")
    assert ends["wellbeing"] == ("Best wellbeing", "Worst possible wellbeing")
    assert {s.item(k).text for k in ("tiredness", "drowsiness", "depression", "anxiety")} == {  # type: ignore[union-attr]
        "Tiredness (lack of energy)",
        "Drowsiness (feeling sleepy)",
        "Depression (feeling sad)",
        "Anxiety (feeling nervous)",
    }
    assert s.item("wellbeing").text == "Wellbeing (how you feel overall)"  # type: ignore[union-attr]
    assert all(a and b for a, b in (ends[k] for k in ESAS_ITEMS))


def test_phq4_asks_the_anxiety_items_first_with_their_loinc_codes():
    items = spec("phq-4").items
    assert [(i.link_id, i.code["code"] if i.code else "") for i in items] == [
        ("gad-1", "69725-0"),
        ("gad-2", "68509-9"),
        ("phq-1", "44250-9"),
        ("phq-2", "44255-8"),
    ]
    assert items[0].text == "Feeling nervous, anxious or on edge"
    assert items[1].text == "Not being able to stop or control worrying"


def test_pallio_screens_count_what_they_find():
    needs = scored(
        "caregiver-needs",
        {
            k: "yes" if k in {"respite", "financial"} else "no"
            for k in (
                "information",
                "hands-on",
                "respite",
                "emotional",
                "financial",
                "help-at-home",
            )
        },
    )
    assert needs.scales["needs"] == 2
    home = scored(
        "home-safety",
        {
            "fall": "yes",
            "fear-of-falling": "yes",
            "hazards": "no",
            "oxygen-smoking": "no",
            "alone": "yes",
            "equipment-needed": ["walker", "commode"],
            "who-is-home": "Daughter, evenings",
        },
    )
    assert home.scales["risks"] == 3
    spiritual = scored("spiritual-history", {"meaning": "My garden and my church", "importance": 8})
    assert spiritual.scales["importance"] == 8


def test_a_scale_with_an_unanswered_item_has_no_value_rather_than_a_partial_sum():
    s = copy.deepcopy(shipped("spiritual-history"))
    result = inst.score(inst.spec_from_questionnaire(s), {"meaning": "Family"})
    assert result.scales["importance"] is None


def test_a_stored_questionnaire_spec_is_cached_by_content():
    q = shipped("ecog")
    assert inst.spec_of(q) is inst.spec_of(json.loads(json.dumps(q)))


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_shipped_instruments_and_rules_in_place(audit_trail_deletable):
    # A flush (as every committed test ends with) empties what the data migrations wrote;
    # the instruments and default rules are loaded again after it, as after a migrate.
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert set(Instrument.objects.filter(program__isnull=True).values_list("key", flat=True)) == (
        SHIPPED_KEYS
    )
    assert AlertRule.objects.filter(program__isnull=True, key="esas-severe").exists()

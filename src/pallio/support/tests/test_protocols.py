"""Triage protocols as data: every shipped file loads, the schema refuses bad files with
named problems, and no protocol may carry a dose."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pallio.support import protocols
from pallio.support.models import Disposition

EXPECTED = {
    "pain",
    "breathlessness",
    "nausea-vomiting",
    "constipation",
    "delirium-agitation",
    "bleeding",
    "falls",
    "fever",
    "seizure",
    "spinal-cord-compression",
    "urinary-retention",
    "caregiver-crisis",
    "expected-death",
}


def test_every_shipped_protocol_loads():
    shipped = protocols.shipped()
    assert set(shipped) == EXPECTED
    for protocol in shipped.values():
        assert protocol.questions and protocol.dispositions
        assert protocol.source, protocol.key
        assert set(protocol.dispositions) <= set(Disposition.values)


def test_each_file_says_where_its_content_comes_from():
    for key in EXPECTED:
        data: Any = protocols.shipped_json(key)
        citation = data["source"]["citation"]
        assert citation == protocols.UNREVIEWED or "review" in citation, key


def test_symptom_protocols_have_red_flags_recommending_emergency_or_urgent_visit():
    for key in EXPECTED:
        flags = protocols.shipped()[key].red_flags
        assert flags, key
        assert {f.recommends for f in flags} <= {"emergency", "urgent_visit"}


def test_expected_death_allows_the_pronouncement_visit():
    assert "pronouncement_visit" in protocols.shipped()["expected-death"].dispositions


def _good() -> Any:
    return protocols.shipped_json("pain")


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda d: d.pop("questions"), "'questions'"),
        (lambda d: d.update(dispositions=["teleport"]), "'dispositions'"),
        (
            lambda d: d["red_flags"].append({"id": "x", "text": "t", "recommends": "panic"}),
            "recommends",
        ),
        (lambda d: d.update(esas_items=["happiness"]), "'esas_items'"),
        (lambda d: d.update(key="other"), "expected 'pain'"),
        (lambda d: d.update(advice=["Give morphine 10 mg now."]), "reads like a dose"),
        (lambda d: d.update(dose="5"), "dose"),
        (lambda d: d["questions"].append(d["questions"][0]), "used twice"),
        (lambda d: d.pop("source"), "'source'"),
    ],
)
def test_a_bad_protocol_is_refused_with_its_problem_named(change, problem):
    data = _good()
    change(data)
    with pytest.raises(protocols.ProtocolError) as caught:
        protocols.parse(data, key="pain")
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_file_that_is_not_json_is_refused_plainly():
    with pytest.raises(protocols.ProtocolError) as caught:
        protocols.parse_bytes(b"{not json", key="pain")
    assert "not valid JSON" in caught.value.problems[0]


def test_a_good_file_round_trips():
    raw = json.dumps(_good()).encode()
    protocol, data = protocols.parse_bytes(raw, key="pain")
    assert protocol.key == "pain" and data["key"] == "pain"

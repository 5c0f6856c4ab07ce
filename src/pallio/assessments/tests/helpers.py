"""Shared pieces of the assessments tests."""

from __future__ import annotations

import copy
import json
from typing import Any

from pallio.assessments import instruments as inst

ESAS_ITEMS = (
    "pain",
    "tiredness",
    "drowsiness",
    "nausea",
    "appetite",
    "dyspnea",
    "depression",
    "anxiety",
    "wellbeing",
)


def shipped(key: str) -> dict[str, Any]:
    return json.loads(dict(inst.shipped_questionnaires())[f"{key}.json"])


def spec(key: str) -> inst.InstrumentSpec:
    # Cached by content: a property test scoring hundreds of examples reads the file once.
    return inst.spec_of(shipped(key))


def esas(**values: int) -> dict[str, Any]:
    answers: dict[str, Any] = dict.fromkeys(ESAS_ITEMS, 0)
    answers.update(values)
    return answers


def phq(phq1: int, phq2: int, gad1: int, gad2: int) -> dict[str, str]:
    codes = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    return {"phq-1": codes[phq1], "phq-2": codes[phq2], "gad-1": codes[gad1], "gad-2": codes[gad2]}


def program_questionnaire(**changes: Any) -> dict[str, Any]:
    """A program's own small instrument, valid unless `changes` break it."""
    q = copy.deepcopy(shipped("distress-thermometer"))
    q["id"] = "breath-check"
    q["url"] = "https://riverside.example.org/fhir/Questionnaire/breath-check"
    q["title"] = "Riverside breathlessness check"
    q["name"] = "BREATH_CHECK"
    for ext in q["extension"]:
        if ext["url"].endswith("instrument-key"):
            ext["valueCode"] = "breath-check"
    q.update(changes)
    return q


def to_bytes(q: Any) -> bytes:
    return json.dumps(q).encode()

"""Triage protocols as data (support/data/protocols/<key>.json), one file per protocol.

A protocol has the questions the nurse asks, the red flags that recommend 911/the emergency
department or an urgent visit, the dispositions it allows, the ESAS-r items it asks (they
become a symptom report and go through the alert rules) and the source of its clinical
content. A program may keep its own version of a shipped protocol (TriageProtocol); the
shipped file is used otherwise.

A protocol never recommends a dose: it points to the patient's existing orders. The loader
refuses any text that reads like a dose ("10 mg", "2 tablets"), so an edited version cannot
slip one in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pallio.support.models import Disposition

DATA_DIR = Path(__file__).parent / "data" / "protocols"
MAX_BYTES = 64_000
UNREVIEWED = "Pallio default — to be reviewed by the program's medical director"

# The ESAS-r items a protocol may ask (assessments/instruments/esas-r.json linkIds).
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
QUESTION_KINDS = ("yes_no", "text")
RECOMMENDS = {
    "emergency": "Call 911 or go to the emergency department",
    "urgent_visit": "Urgent visit tonight",
}
DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|micrograms?|milligrams?|ml|mL|units?|tablets?|"
    r"capsules?|puffs?|drops?|patch(?:es)?)\b",
    re.IGNORECASE,
)
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class ProtocolError(ValueError):
    """A protocol file that does not follow the schema; ``problems`` names each fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str


@dataclass(frozen=True)
class RedFlag:
    id: str
    text: str
    recommends: str

    @property
    def recommends_text(self) -> str:
        return RECOMMENDS[self.recommends]

    @property
    def is_emergency(self) -> bool:
        return self.recommends == "emergency"


@dataclass(frozen=True)
class Protocol:
    key: str
    title: str
    reasons: tuple[str, ...]
    questions: tuple[Question, ...]
    red_flags: tuple[RedFlag, ...]
    dispositions: tuple[str, ...]
    esas_items: tuple[str, ...]
    advice: tuple[str, ...]
    source: str
    source_url: str
    own_version: bool = False

    @property
    def reviewed(self) -> bool:
        return self.source != UNREVIEWED

    def disposition_choices(self) -> list[tuple[str, str]]:
        labels = dict(Disposition.choices)
        return [(d, labels[d]) for d in self.dispositions]

    def flag(self, flag_id: str) -> RedFlag | None:
        return next((f for f in self.red_flags if f.id == flag_id), None)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    return []


def _ids(items: list[Any], what: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not KEY.match(ident):
            problems.append(f"every {what} needs an id of lower-case letters, digits and hyphens")
        elif ident in seen:
            problems.append(f"{what} id {ident!r} is used twice")
        else:
            seen.add(ident)


def parse(data: Any, *, key: str | None = None) -> Protocol:
    """A Protocol from its JSON form; ProtocolError naming every problem."""
    from pallio.support.models import CallReason

    problems: list[str] = []
    if not isinstance(data, dict):
        raise ProtocolError(["A protocol is a JSON object."])
    allowed = {
        "key",
        "title",
        "reasons",
        "questions",
        "red_flags",
        "dispositions",
        "esas_items",
        "advice",
        "source",
    }
    for extra in sorted(set(data) - allowed):
        problems.append(f"unknown field {extra!r}")
    if "dose" in " ".join(map(str, data)).lower():
        problems.append("a protocol never recommends a dose; point to the patient's orders")
    file_key = data.get("key")
    if not isinstance(file_key, str) or not KEY.match(file_key):
        problems.append("'key' must be lower-case letters, digits and hyphens")
    elif key is not None and file_key != key:
        problems.append(f"'key' is {file_key!r}, expected {key!r}")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 120:
        problems.append("'title' must be text of up to 120 characters")
    reasons = data.get("reasons", [])
    if not isinstance(reasons, list) or any(r not in CallReason.values for r in reasons):
        problems.append(f"'reasons' must list call reasons among {', '.join(CallReason.values)}")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append("'questions' must list at least one question")
        questions = []
    for q in questions:
        if not isinstance(q, dict) or not isinstance(q.get("text"), str) or not q["text"].strip():
            problems.append("every question needs its 'text'")
        elif q.get("kind", "yes_no") not in QUESTION_KINDS:
            problems.append(
                f"question {q.get('id')!r}: 'kind' is one of {', '.join(QUESTION_KINDS)}"
            )
    _ids(questions, "question", problems)
    flags = data.get("red_flags")
    if not isinstance(flags, list):
        problems.append("'red_flags' must be a list (it may be empty)")
        flags = []
    for f in flags:
        if not isinstance(f, dict) or not isinstance(f.get("text"), str) or not f["text"].strip():
            problems.append("every red flag needs its 'text'")
        elif f.get("recommends") not in RECOMMENDS:
            problems.append(
                f"red flag {f.get('id')!r}: 'recommends' is 'emergency' or 'urgent_visit'"
            )
    _ids(flags, "red flag", problems)
    dispositions = data.get("dispositions")
    if (
        not isinstance(dispositions, list)
        or not dispositions
        or any(d not in Disposition.values for d in dispositions)
    ):
        problems.append(f"'dispositions' must list some of {', '.join(Disposition.values)}")
        dispositions = []
    esas = data.get("esas_items", [])
    if not isinstance(esas, list) or any(i not in ESAS_ITEMS for i in esas):
        problems.append(f"'esas_items' may list only {', '.join(ESAS_ITEMS)}")
        esas = []
    advice = data.get("advice", [])
    if not isinstance(advice, list) or any(not isinstance(a, str) for a in advice):
        problems.append("'advice' must be a list of sentences")
        advice = []
    source = data.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("citation"), str):
        problems.append(
            f"'source' must give a 'citation' (or say {UNREVIEWED!r}) and may give a 'url'"
        )
        source = {"citation": "", "url": ""}
    for text in _texts(data):
        if "\x00" in text:
            problems.append("the protocol contains a character that is not allowed")
            break
        match = DOSE.search(text)
        if match:
            problems.append(
                f"{match.group(0)!r} reads like a dose: a protocol never recommends a dose, it "
                "points to the patient's existing orders"
            )
    if problems:
        raise ProtocolError(problems)
    return Protocol(
        key=str(file_key),
        title=str(title).strip(),
        reasons=tuple(reasons),
        questions=tuple(
            Question(q["id"], q["text"].strip(), q.get("kind", "yes_no")) for q in questions
        ),
        red_flags=tuple(RedFlag(f["id"], f["text"].strip(), f["recommends"]) for f in flags),
        dispositions=tuple(dispositions),
        esas_items=tuple(esas),
        advice=tuple(a.strip() for a in advice),
        source=str(source.get("citation", "")).strip(),
        source_url=str(source.get("url", "") or ""),
    )


def parse_bytes(raw: bytes, *, key: str | None = None) -> tuple[Protocol, dict[str, Any]]:
    """An uploaded or pasted protocol: (Protocol, its JSON), or ProtocolError."""
    if len(raw) > MAX_BYTES:
        raise ProtocolError([f"The file is larger than {MAX_BYTES // 1000} kB."])
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProtocolError(
            ["The file is not valid JSON: check its brackets, commas and quotes."]
        ) from None
    return parse(data, key=key), data


@cache
def shipped() -> dict[str, Protocol]:
    """Every shipped protocol by key (a file that does not load is a bug: a test loads all)."""
    result = {}
    for path in sorted(DATA_DIR.glob("*.json")):
        result[path.stem] = parse(json.loads(path.read_text("utf-8")), key=path.stem)
    return result


def shipped_json(key: str) -> dict[str, Any] | None:
    path = DATA_DIR / f"{key}.json"
    if key not in shipped():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def for_program(program: Any) -> dict[str, Protocol]:
    """The protocols a program uses: its own versions over the shipped ones (one query)."""
    from pallio.support.models import TriageProtocol

    result = dict(shipped())
    for row in TriageProtocol.objects.filter(program=program).only("key", "content"):
        try:
            own = parse(row.content, key=row.key)
        except ProtocolError:
            continue  # saved versions were validated; a later schema change keeps the shipped one
        result[row.key] = Protocol(**{**own.__dict__, "own_version": True})
    return dict(sorted(result.items(), key=lambda kv: kv[1].title))


def get(program: Any, key: str) -> Protocol | None:
    return for_program(program).get(key)

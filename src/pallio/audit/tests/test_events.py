"""Every event the code records reads as plain words on the privacy officer's pages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pallio.audit.events import (
    EVENT_PATTERNS,
    EVENT_PHRASES,
    event_description,
    event_phrase,
    role_name,
)

SOURCE = Path(__file__).resolve().parents[2]  # the pallio package


def _strings(node: ast.AST | None) -> list[str]:
    """The keys an expression may give: a literal, either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _fstring_pattern(node: ast.AST) -> str | None:
    """`f"hospice.{status}"` as the pattern "hospice.*"."""
    if not isinstance(node, ast.JoinedStr):
        return None
    return "".join(
        str(part.value) if isinstance(part, ast.Constant) else "*" for part in node.values
    )


def _dict_values(function: ast.AST, name: str) -> list[str]:
    """The string values of a dict literal assigned to `name` inside `function`."""
    values: list[str] = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            for value in node.value.values:
                values += _strings(value)
    return values


def _lookup_name(node: ast.AST) -> str | None:
    """`kinds` in `kinds.get(x)` or `kinds[x]`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value.id
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def recorded_event_keys() -> tuple[set[str], set[str]]:
    """Every audit event key the application's code may record: literals passed as `event=`,
    assigned to a variable named `event` (also through a dict looked up), given as the
    default of a parameter named `event`; and the f-strings among them, as patterns."""
    keys: set[str] = set()
    patterns: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for node in ast.walk(tree):
            values: list[ast.AST] = []
            if isinstance(node, ast.Call):
                values += [kw.value for kw in node.keywords if kw.arg == "event"]
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "event" for t in node.targets):
                    values.append(node.value)
            elif isinstance(node, ast.FunctionDef):
                args = node.args
                positional = args.posonlyargs + args.args
                defaults = list(
                    zip(
                        positional[len(positional) - len(args.defaults) :],
                        args.defaults,
                        strict=True,
                    )
                )
                defaults += [
                    (a, d)
                    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                    if d is not None
                ]
                values += [d for a, d in defaults if a.arg == "event"]
            for value in values:
                keys.update(_strings(value))
                pattern = _fstring_pattern(value)
                if pattern is not None:
                    patterns.add(pattern)
                name = _lookup_name(value)
                if name is not None:
                    for function in functions:
                        if any(n is node for n in ast.walk(function)):
                            keys.update(_dict_values(function, name))
    return keys, patterns


def test_the_scan_finds_the_events_it_must():
    keys, patterns = recorded_event_keys()
    # A literal, a default, an assignment, a conditional and a dict lookup.
    assert {"patient.chart", "patient.read", "instrument.upload", "allergy.resolve"} <= keys
    assert "acp.agent.error" in keys
    assert "hospice.*" in patterns
    assert len(keys) > 150


def test_every_event_key_the_code_records_has_a_plain_phrase():
    keys, patterns = recorded_event_keys()
    missing = sorted(k for k in keys if k not in EVENT_PHRASES)
    assert not missing, f"add a plain phrase to EVENT_PHRASES in audit/events.py for {missing}"
    unshaped = sorted(p for p in patterns if p not in EVENT_PATTERNS)
    assert not unshaped, f"add a phrase to EVENT_PATTERNS in audit/events.py for {unshaped}"


def test_phrases_are_plain_words_not_codes():
    for key, phrase in {**EVENT_PHRASES, **EVENT_PATTERNS}.items():
        assert phrase and phrase[0].isupper(), key
        assert "." not in phrase and "_" not in phrase, f"{key}: {phrase}"


@pytest.mark.parametrize(
    "key, phrase",
    [
        ("patient.chart", "Opened the chart"),
        ("access.denied", "Was refused a page"),
        ("hospice.admitted", "Recorded the hospice admission"),
        ("hospice.on_hold", "Changed a hospice referral"),
        ("care_plan.goal.entered_in_error", "Marked a goal entered in error"),
        ("visit_summary.fax.print", "Printed a visit summary"),
        ("x.update", "Other event: x update"),
    ],
)
def test_event_phrase(key, phrase):
    assert event_phrase(key) == phrase


def test_a_search_reads_with_what_was_searched():
    assert (
        event_description("audit.patient_search", {"query": "ander", "found": 1})
        == "Searched the audit trail for a patient: “ander”"
    )
    assert event_description("audit.staff_trail", {"user": "nina"}).endswith(": nina")
    assert event_description("patient.chart", None) == "Opened the chart"


@pytest.mark.django_db
def test_roles_read_as_the_account_model_names_them():
    assert role_name("privacy_officer") == "Privacy officer"
    assert role_name("intake_coordinator") == "Intake / care coordinator"
    assert role_name("") == ""

"""The check that turns markup written in Python off when its template has changed."""

from __future__ import annotations

import logging
from typing import Any

from django.template import loader

from pallio.core.written_templates import WrittenAgainst, source_sha256

TEMPLATE = "episodes/_caseload_row.html"


def source_of(name: str) -> str:
    found: Any = loader.get_template(name)
    return str(found.template.source)


def test_a_template_unchanged_since_the_module_was_written_holds(caplog):
    check = WrittenAgainst(TEMPLATE, source_sha256(source_of(TEMPLATE)), writer="a module")
    with caplog.at_level(logging.WARNING):
        assert check.holds()
    assert caplog.records == []


def test_a_changed_template_turns_the_module_off_and_says_so_once(caplog):
    check = WrittenAgainst(TEMPLATE, source_sha256("the row as it was"), writer="a module")
    with caplog.at_level(logging.WARNING):
        assert not check.holds()
        assert not check.holds()  # decided once a process: no second warning
    assert [r.getMessage() for r in caplog.records] == [
        f"{TEMPLATE} differs from the markup a module writes: the template renders it "
        "(slower) until the module is brought up to date"
    ]


def test_the_check_is_read_again_when_asked():
    check = WrittenAgainst(TEMPLATE, source_sha256("the row as it was"), writer="a module")
    assert not check.holds()
    check.sha256 = source_sha256(source_of(TEMPLATE))
    assert not check.holds()  # still the first decision
    check.decide_again()
    assert check.holds()

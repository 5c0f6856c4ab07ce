"""Rooms that stay small: no module of Pallio's own, outside migrations and tests, grows past
600 lines. A module that does is split by concern (as the services packages are)."""

from __future__ import annotations

from pathlib import Path

import pallio

LIMIT = 600
SOURCE = Path(pallio.__file__).resolve().parent


def oversized(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if "migrations" in parts or "tests" in parts:
            continue
        lines = len(path.read_text("utf-8").splitlines())
        if lines > LIMIT:
            found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_module_is_over_600_lines():
    assert not oversized(SOURCE), "split these by concern: " + ", ".join(oversized(SOURCE))


def test_the_check_sees_a_long_module(tmp_path):
    (tmp_path / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    (tmp_path / "short.py").write_text("x = 1\n" * LIMIT)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_initial.py").write_text("x = 1\n" * (LIMIT + 5))
    assert oversized(tmp_path) == [f"long.py: {LIMIT + 1} lines"]

"""Compile the message catalogues (.po, kept in the repository) into the .mo files Django
reads, with polib: no system gettext needed. `make install` runs this; the test suite runs
it too (conftest.py) when a .po is newer than its .mo.

Only translated, non-fuzzy messages go into a .mo: anything else shows in English, and the
portal's catalogue test (portal/tests/test_translations.py) fails on it.

    python -m pallio.core.catalogues          # compile every catalogue under src/pallio
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]


def catalogues(root: Path = SOURCE_ROOT) -> list[Path]:
    """Every .po of the project (the staff layout's and each app's)."""
    return sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))


def compile_catalogues(root: Path = SOURCE_ROOT, *, only_stale: bool = False) -> list[Path]:
    """Write each catalogue's .mo beside it; return the .mo files written."""
    import polib

    written = []
    for po_path in catalogues(root):
        mo_path = po_path.with_suffix(".mo")
        if only_stale and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def main() -> None:
    written = compile_catalogues()
    for path in written:
        print(f"compiled {path.relative_to(SOURCE_ROOT.parent)}")
    if not written:
        print("no message catalogues found", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

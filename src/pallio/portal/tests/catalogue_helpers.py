"""Which messages the portal shows: every string marked for translation in the portal's
templates (and the templates they include or extend, wherever those live) and in its Python
modules. The catalogue test (tests/test_translations.py) checks each has a Spanish
translation; the reading-level test reads the English ones.

Found by place, not by a list, so a new portal page or module is checked the day it is
added: templates under any app's templates/portal/ folder or named *portal*, and Python
modules of the portal app or named *portal* in any app (tests and migrations aside).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]
PORTAL_APP = SOURCE_ROOT / "portal"

GETTEXT_CALL = re.compile(
    r"\b(?P<fn>npgettext|pgettext|ngettext|gettext)\("
    r"(?P<args>u'(?:[^'\\]|\\.)*'(?:\s*,\s*u'(?:[^'\\]|\\.)*')*)"
)
TEMPLATE_REFERENCE = re.compile(r"{%\s*(?:include|extends)\s+[\"']([^\"']+)[\"']")
PYTHON_FUNCTIONS = {
    "_": ("msgid",),
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "pgettext": ("context", "msgid"),
    "pgettext_lazy": ("context", "msgid"),
    "npgettext": ("context", "msgid", "plural"),
    "npgettext_lazy": ("context", "msgid", "plural"),
}


@dataclass(frozen=True)
class Message:
    msgid: str
    context: str = ""
    plural: str = ""
    source: str = ""


def _skipped(path: Path) -> bool:
    parts = set(path.relative_to(SOURCE_ROOT).parts)
    return bool(parts & {"tests", "migrations", "locale"})


def _template_dirs() -> list[Path]:
    return sorted(p for p in SOURCE_ROOT.glob("**/templates") if p.is_dir())


def _find_template(name: str) -> Path | None:
    for folder in _template_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def portal_templates() -> list[Path]:
    """The portal's templates, and every template they include or extend."""
    found = {
        p
        for p in SOURCE_ROOT.glob("**/templates/**/*")
        if p.is_file()
        and p.suffix in {".html", ".txt"}
        and not _skipped(p)
        and ("portal" in p.relative_to(SOURCE_ROOT).parts[-2:-1] or "portal" in p.name)
    }
    found |= {p for p in PORTAL_APP.glob("templates/**/*") if p.is_file()}
    queue = list(found)
    while queue:
        text = queue.pop().read_text(encoding="utf-8")
        for name in TEMPLATE_REFERENCE.findall(text):
            target = _find_template(name)
            if target is not None and target not in found:
                found.add(target)
                queue.append(target)
    return sorted(found)


def portal_modules() -> list[Path]:
    modules = {p for p in PORTAL_APP.glob("**/*.py") if not _skipped(p)}
    modules |= {p for p in SOURCE_ROOT.glob("**/*portal*.py") if not _skipped(p)}
    return sorted(modules)


def template_messages(path: Path) -> Iterator[Message]:
    from django.utils.translation.template import templatize

    source = str(path.relative_to(SOURCE_ROOT))
    for match in GETTEXT_CALL.finditer(templatize(path.read_text(encoding="utf-8"))):
        args = ast.literal_eval("(" + match.group("args") + ",)")
        fn = match.group("fn")
        if fn.startswith("p") or fn.startswith("np"):
            context, args = args[0], args[1:]
        else:
            context = ""
        yield Message(
            msgid=args[0], context=context, plural=args[1] if len(args) > 1 else "", source=source
        )


def module_messages(path: Path) -> Iterator[Message]:
    source = str(path.relative_to(SOURCE_ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        roles = PYTHON_FUNCTIONS.get(name or "")
        if roles is None:
            continue
        values = {}
        for role, arg in zip(roles, node.args, strict=False):
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                values[role] = arg.value
        if "msgid" in values:
            yield Message(
                msgid=values["msgid"],
                context=values.get("context", ""),
                plural=values.get("plural", ""),
                source=source,
            )


def portal_messages() -> list[Message]:
    """Every translatable message the portal shows."""
    found: list[Message] = []
    for path in portal_templates():
        found += template_messages(path)
    for path in portal_modules():
        found += module_messages(path)
    return found

"""Templates whose markup a module writes in Python (ADR 0014), and the check that keeps the
two the same.

The template stays the source of what the markup says; the module writes the same bytes
faster. The module names the template and the SHA-256 of its source as it was when the
module was written. At first use (once a process) the template's source is read and
compared: if anyone changed the template since, the check fails, says so in the log, and
the module lets the template render (slower, never different) until it is brought up to
date. Each module's tests render every kind of markup both ways and compare them, and fail
while the check fails.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.template import loader

logger = logging.getLogger(__name__)


def source_sha256(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


class WrittenAgainst:
    """`template`, as `writer` writes it: the SHA-256 of the source it was written against."""

    def __init__(self, template: str, sha256: str, *, writer: str) -> None:
        self.template = template
        self.sha256 = sha256
        self.writer = writer
        self._holds: bool | None = None  # decided at first use

    def holds(self) -> bool:
        """Whether the template is still the one the writer writes."""
        if self._holds is None:
            found: Any = loader.get_template(self.template)
            self._holds = source_sha256(found.template.source) == self.sha256
            if not self._holds:
                logger.warning(
                    "%s differs from the markup %s writes: the template renders it "
                    "(slower) until the module is brought up to date",
                    self.template,
                    self.writer,
                )
        return self._holds

    def decide_again(self) -> None:
        """Read the template again at the next use (the tests change what it is held to)."""
        self._holds = None

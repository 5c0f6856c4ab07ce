"""Log formatting that cannot be used for log injection: CR, LF and other controls escaped."""

from __future__ import annotations

import logging


def escape_controls(text: str) -> str:
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record))

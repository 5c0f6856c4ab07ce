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


class RefusalWithoutTraceback(logging.Filter):
    """A refused request (a 4xx: permission denied, not found, bad request) is logged in one
    line, without the traceback Django attaches to some of them: a refusal is the system
    working, and a traceback per probe would bury the real failures. 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True

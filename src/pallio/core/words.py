"""Dates and numbers in running text as a person writes them, as the templates do."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any


def day_text(value: date) -> str:
    """3 Dec 2026 (the templates' "j M Y"): never the ISO form in a sentence."""
    return f"{value.day} {value:%b %Y}"


def number_text(value: Any) -> str:
    """A stored decimal as a person writes it: 10, 2.5, never 10.000."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

"""Small checks every service uses to name all of an input's problems at once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

Errors = dict[str, list[str]]


def check_text(
    errors: Errors, name: str, value: str, limit: int, *, required: bool = False
) -> None:
    if required and not value.strip():
        errors.setdefault(name, []).append("This field is required.")
    if len(value) > limit:
        errors.setdefault(name, []).append(f"Keep this under {limit} characters.")
    if "\x00" in value:
        errors.setdefault(name, []).append("This field contains a character that is not allowed.")


def check_choice(errors: Errors, name: str, value: str, allowed: Any) -> None:
    if value not in allowed:
        errors.setdefault(name, []).append("Choose one of the options.")


def apply_service_errors(form: Any, error: ValidationError) -> None:
    """Put a service's ValidationError onto a form, field by field where it can."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)

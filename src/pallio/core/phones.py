"""Phone numbers are stored in E.164 so that they can be compared and dialled."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def phone_to_e164(raw: str, *, region: str = "US") -> str:
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(f"{raw!r} is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return e164
    # As the program's country writes it; a number from abroad keeps its country code.
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)

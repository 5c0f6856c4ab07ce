"""HL7 v2 acknowledgements (original mode): AA when the message was accepted, AE with the
reason in MSA-3 and an ERR segment when it could not be."""

from __future__ import annotations

import re
from datetime import UTC

import hl7

from pallio.core import clock

# HL7 table 0357, message error condition codes.
ERR_REQUIRED_FIELD_MISSING = "101"
ERR_DATA_TYPE = "102"
ERR_TABLE_VALUE = "103"
ERR_UNSUPPORTED_EVENT = "201"
ERR_UNKNOWN_KEY = "204"
ERR_APPLICATION = "207"
ERR_WORDS = {
    ERR_REQUIRED_FIELD_MISSING: "Required field missing",
    ERR_DATA_TYPE: "Data type error",
    ERR_TABLE_VALUE: "Table value not found",
    ERR_UNSUPPORTED_EVENT: "Unsupported event code",
    ERR_UNKNOWN_KEY: "Unknown key identifier",
    ERR_APPLICATION: "Application internal error",
}

_RECEIVER = "PALLIO"


def escape(text: str) -> str:
    """Text safe inside one HL7 field (the default delimiters), on one line, bounded."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)[:200]
    out = []
    for ch in text:
        out.append(
            {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}.get(ch, ch)
        )
    return "".join(out)


def _location(location: str) -> str:
    match = re.fullmatch(r"([A-Z][A-Z0-9]{2})(?:-(\d+))?", location or "")
    if not match:
        return ""
    return f"{match.group(1)}^1^{match.group(2) or ''}"


def _timestamp() -> str:
    return clock.now().astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def build_ack(
    *,
    code: str,
    control_id: str = "",
    text: str = "",
    error_code: str = "",
    location: str = "",
    message: hl7.Message | None = None,
    ack_control_id: str = "",
) -> str:
    """The ACK for a message (`message` when it could be parsed), segments joined by CR."""
    if message is not None:
        ack = message.create_ack(ack_code=code, message_id=ack_control_id or None)
        ack.assign_field(_timestamp(), "MSH", 1, 7)
        if not str(ack.segment("MSH")(3)):
            ack.assign_field(_RECEIVER, "MSH", 1, 3)
        lines = [str(ack.segment("MSH")), f"MSA|{code}|{escape(control_id)}"]
    else:
        lines = [
            f"MSH|^~\\&|{_RECEIVER}||||{_timestamp()}||ACK|{escape(ack_control_id)}|P|2.5",
            f"MSA|{code}|{escape(control_id)}",
        ]
    if text:
        lines[1] += f"|{escape(text)}"
    if code != "AA":
        error_code = error_code or ERR_APPLICATION
        lines.append(
            f"ERR||{_location(location)}|{error_code}^{ERR_WORDS[error_code]}^HL70357|E"
            f"||||{escape(text)}"
        )
    return "\r".join(lines) + "\r"

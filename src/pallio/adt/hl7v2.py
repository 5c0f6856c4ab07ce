"""Reading an HL7 v2 ADT message (parsed by python-hl7) into a plain `AdtEvent`.

Only what Pallio acts on is read: the trigger (A01 admit, A02 transfer, A03 discharge,
A04 registration, A08 update), the message control id, the patient's identifiers, name,
date of birth and phone (PID), and the visit (PV1): patient class, assigned location,
visit number, discharge disposition, admit and discharge times.

Times without an offset are read in the program's time zone (HL7 v2: a DTM without an
offset is in the sender's local time; the program and the hospitals it hears from share a
region). Every problem is an `AdtParseError` whose message says, in plain words, what was
wrong and where (the HL7 field), for the AE acknowledgement and the review queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import hl7

TRIGGERS = {
    "A01": "Admission",
    "A02": "Transfer",
    "A03": "Discharge",
    "A04": "Registration",
    "A08": "Update",
}

# PV1-2 patient class (HL7 table 0004) -> the kind of hospital stay.
PATIENT_CLASSES = {"E": "emergency", "I": "inpatient", "O": "observation"}
STAY_KIND_WORDS = {
    "emergency": "emergency department",
    "inpatient": "inpatient",
    "observation": "observation",
}

# PV1-36 discharge disposition (HL7 user-defined table 0112). US hospitals send the patient
# discharge status codes of the UB-04 claim form (NUBC, form locator 17); the common ones,
# in plain words. A code not listed is shown as its code.
DISPOSITIONS = {
    "01": "home or self-care",
    "02": "another short-term hospital",
    "03": "a skilled nursing facility",
    "04": "an intermediate care facility",
    "05": "a designated cancer center or children's hospital",
    "06": "home with home health care",
    "07": "left against medical advice",
    "20": "died",
    "21": "court or law enforcement",
    "43": "a federal hospital",
    "50": "hospice at home",
    "51": "hospice in a medical facility",
    "61": "a swing bed",
    "62": "an inpatient rehabilitation facility",
    "63": "a long-term care hospital",
    "64": "a nursing facility (Medicaid)",
    "65": "a psychiatric hospital",
    "66": "a critical access hospital",
    "70": "another health care institution",
}

_CONTROL_ID = re.compile(r"^[\x21-\x7e]{1,64}$")


class AdtParseError(ValueError):
    """The message cannot be acted on; `location` is the HL7 field at fault (e.g. PV1-44)."""

    def __init__(self, message: str, *, location: str = "", code: str = "102") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        # HL7 table 0357: 101 required field missing, 102 data type error, 103 table value
        # not found, 201 unsupported event code.
        self.code = code


@dataclass(frozen=True)
class Identifier:
    value: str
    type_code: str = ""
    authority: str = ""


@dataclass(frozen=True)
class Header:
    """MSH, read before anything else so that even a bad message can be acknowledged."""

    control_id: str
    trigger: str
    sending_application: str
    sending_facility: str
    sent_at_text: str


@dataclass(frozen=True)
class AdtEvent:
    header: Header
    identifiers: tuple[Identifier, ...]
    given_name: str
    middle_name: str
    family_name: str
    birth_date: date | None
    phone: str
    sex: str
    stay_kind: str
    facility: str
    unit: str
    room: str
    icu: bool
    visit_number: str
    admitted_at: datetime | None
    discharged_at: datetime | None
    event_at: datetime
    disposition_code: str
    disposition: str
    warnings: list[str] = field(default_factory=list)

    @property
    def trigger(self) -> str:
        return self.header.trigger

    @property
    def control_id(self) -> str:
        return self.header.control_id

    @property
    def record_numbers(self) -> list[str]:
        return [i.value for i in self.identifiers if i.value]


def clean_text(raw: bytes | str) -> str:
    """The message as text, segments separated by CR (some senders use LF or CRLF)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r \t\x00")
    return text


def _value(message: hl7.Message, key: str) -> str:
    try:
        value = str(message[key])
    except (KeyError, IndexError):
        return ""
    return "" if value == '""' else value.strip()


def parse_message(text: str) -> hl7.Message:
    if not text.startswith("MSH"):
        raise AdtParseError(
            "The message does not begin with an MSH segment.", location="MSH", code="101"
        )
    if len(text) < 9:
        raise AdtParseError("The MSH segment is too short to read.", location="MSH")
    try:
        return hl7.parse(text)
    except (hl7.ParseException, ValueError, IndexError) as exc:
        raise AdtParseError(
            f"The message could not be read as HL7 v2: {exc}.", location="MSH"
        ) from None


def read_header(message: hl7.Message) -> Header:
    control_id = _value(message, "MSH.F10")
    if not control_id:
        raise AdtParseError(
            "The message control id (MSH-10) is missing.", location="MSH-10", code="101"
        )
    if not _CONTROL_ID.match(control_id):
        raise AdtParseError(
            "The message control id (MSH-10) must be 1 to 64 printable characters.",
            location="MSH-10",
        )
    message_type = _value(message, "MSH.F9.R1.C1")
    trigger = _value(message, "MSH.F9.R1.C2") or _value(message, "EVN.F1")
    return Header(
        control_id=control_id,
        trigger=trigger if message_type == "ADT" else f"{message_type}^{trigger}",
        sending_application=_value(message, "MSH.F3.R1.C1")[:60],
        sending_facility=_value(message, "MSH.F4.R1.C1")[:60],
        sent_at_text=_value(message, "MSH.F7.R1.C1"),
    )


def parse_hl7_time(text: str, *, tz_name: str, location: str) -> datetime | None:
    """An HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]), aware; without an offset, in
    `tz_name`. None when blank."""
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{8,14}(\.\d{1,4})?([+-]\d{4})?", text):
        raise AdtParseError(
            f"{location} is not a date and time (YYYYMMDDHHMM[SS][+/-ZZZZ]): {text[:40]!r}.",
            location=location,
        )
    try:
        value = hl7.parse_datetime(text)
    except ValueError:
        raise AdtParseError(
            f"{location} is not a real date and time: {text[:40]!r}.", location=location
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz_name))
    return value


def _birth_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{8}(\d*)([+-]\d{4})?", text):
        raise AdtParseError(
            f"PID-7 is not a date of birth (YYYYMMDD): {text[:40]!r}.", location="PID-7"
        )
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise AdtParseError(f"PID-7 is not a real date: {text[:8]!r}.", location="PID-7") from None


def _identifiers(message: hl7.Message) -> tuple[Identifier, ...]:
    try:
        pid3 = message.segment("PID")(3)
    except (KeyError, IndexError):
        return ()
    found = []
    for repetition in pid3 if isinstance(pid3, hl7.Field) else [pid3]:
        parts = (
            [str(c) for c in repetition]
            if isinstance(repetition, hl7.Repetition)
            else [str(repetition)]
        )
        value = parts[0].strip() if parts else ""
        if value:
            found.append(
                Identifier(
                    value=value[:32],
                    authority=(parts[3].strip() if len(parts) > 3 else "")[:60],
                    type_code=(parts[4].strip() if len(parts) > 4 else "")[:10],
                )
            )
    return tuple(found[:10])


def parse_adt(
    raw: bytes | str, *, tz_name: str, icu_units: Iterable[str] = (), today: date | None = None
) -> AdtEvent:
    """The event of one ADT message; AdtParseError (with the field at fault) otherwise."""
    message = parse_message(clean_text(raw))
    header = read_header(message)
    if header.trigger not in TRIGGERS:
        raise AdtParseError(
            "Only ADT admissions, transfers, discharges, registrations and updates "
            "(A01, A02, A03, A04, A08) are accepted, "
            f"not {header.trigger[:20] or 'a blank event'}.",
            location="MSH-9",
            code="201",
        )
    for segment in ("PID", "PV1"):
        try:
            message.segment(segment)
        except KeyError:
            raise AdtParseError(
                f"The {segment} segment is missing.", location=segment, code="101"
            ) from None
    family = _value(message, "PID.F5.R1.C1")[:100]
    given = _value(message, "PID.F5.R1.C2")[:100]
    middle = _value(message, "PID.F5.R1.C3")[:100]
    identifiers = _identifiers(message)
    if not identifiers and not (family and given):
        raise AdtParseError(
            "The patient has neither an identifier (PID-3) nor a name (PID-5).",
            location="PID-3",
            code="101",
        )
    birth_date = _birth_date(_value(message, "PID.F7.R1.C1"))
    if birth_date is not None and today is not None and birth_date > today:
        raise AdtParseError("PID-7: the date of birth is in the future.", location="PID-7")
    patient_class = _value(message, "PV1.F2.R1.C1").upper()
    if patient_class not in PATIENT_CLASSES:
        raise AdtParseError(
            "PV1-2 patient class must be E (emergency), I (inpatient) or O (observation), "
            f"not {patient_class[:10] or 'blank'}.",
            location="PV1-2",
            code="103",
        )
    point_of_care = _value(message, "PV1.F3.R1.C1")[:60]
    room = _value(message, "PV1.F3.R1.C2")[:20]
    facility = _value(message, "PV1.F3.R1.C4")[:120] or header.sending_facility
    icu_codes = {code.strip().upper() for code in icu_units if code.strip()}
    admitted_at = parse_hl7_time(
        _value(message, "PV1.F44.R1.C1"), tz_name=tz_name, location="PV1-44"
    )
    discharged_at = parse_hl7_time(
        _value(message, "PV1.F45.R1.C1"), tz_name=tz_name, location="PV1-45"
    )
    recorded = parse_hl7_time(_value(message, "EVN.F2.R1.C1"), tz_name=tz_name, location="EVN-2")
    occurred = parse_hl7_time(_value(message, "EVN.F6.R1.C1"), tz_name=tz_name, location="EVN-6")
    sent = parse_hl7_time(header.sent_at_text, tz_name=tz_name, location="MSH-7")
    event_at = occurred or recorded or sent
    if header.trigger in ("A01", "A04"):
        event_at = admitted_at or event_at
    if header.trigger == "A03":
        event_at = discharged_at or event_at
        if discharged_at is None and event_at is None:
            raise AdtParseError(
                "A discharge needs its time (PV1-45).", location="PV1-45", code="101"
            )
    if event_at is None:
        raise AdtParseError(
            "The message has no event time (EVN-6, EVN-2 or MSH-7).", location="EVN-2", code="101"
        )
    if admitted_at and discharged_at and discharged_at < admitted_at:
        raise AdtParseError(
            "The discharge time (PV1-45) is before the admission time (PV1-44).", location="PV1-45"
        )
    disposition_code = _value(message, "PV1.F36.R1.C1")[:10]
    disposition = DISPOSITIONS.get(disposition_code, "")
    warnings = []
    if disposition_code and not disposition:
        warnings.append(f"discharge disposition code {disposition_code} is not one Pallio knows")
    return AdtEvent(
        header=header,
        identifiers=identifiers,
        given_name=given,
        middle_name=middle,
        family_name=family,
        birth_date=birth_date,
        phone=_value(message, "PID.F13.R1.C1")[:32],
        sex={"F": "female", "M": "male"}.get(_value(message, "PID.F8.R1.C1").upper(), ""),
        stay_kind=PATIENT_CLASSES[patient_class],
        facility=facility,
        unit=point_of_care,
        room=room,
        icu=point_of_care.upper() in icu_codes,
        visit_number=_value(message, "PV1.F19.R1.C1")[:40],
        admitted_at=admitted_at,
        discharged_at=discharged_at,
        event_at=event_at,
        disposition_code=disposition_code,
        disposition=disposition or (f"code {disposition_code}" if disposition_code else ""),
        warnings=warnings,
    )
